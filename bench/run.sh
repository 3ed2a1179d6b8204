#!/usr/bin/env bash
# Benchmarks saql on the shared IoT telemetry generator's data (the same arguments as the peers in
# ../shared/bench/PEERS.md) and checks every output against DuckDB.
#
#   bench/run.sh [EVENTS ...]        default: 1000000 10000000
#
# Prints, per size and query: events/s (median of 3 end-to-end runs) and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)

scripts/setup.sh
python3 -c 'import numpy, duckdb' 2>/dev/null || python3 -m pip install -q numpy duckdb
swift build -c release --product saql >&2
mkdir -p bench/data bench/out

source bench/measure.sh

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
printf '%-10s %-14s %12s %10s %10s\n' events query "events/s" "median s" "peak RSS"
for n in "${SIZES[@]}"; do
  data=bench/data/telemetry-$n.jsonl
  [ -f "$data" ] || python3 "$GEN" --events "$n" --devices 1000 --rate 1000 --seed 42 -o "$data"
  for q in agg filter vib; do
    measure "$n" "$q" .build/release/saql run "bench/queries/$q.saql" --input Telemetry="$data" --output-dir bench/out --quiet
  done
  python3 bench/duckdb_check.py "$data" bench/out
done

echo "one core against two, beside DuckDB with 1 and 2 threads (bench/cores.sh):"
bench/cores.sh "${SIZES[@]}"

echo "stream-stream join (two 5M-event streams, DATEDIFF(second) BETWEEN 0 AND 10):"
[ -f bench/data/join-readings.jsonl ] || python3 bench/gen_join.py --events 5000000 -o bench/data/join
measure 10000000 join .build/release/saql run bench/queries/join.saql --input Readings=bench/data/join-readings.jsonl \
  --input Acks=bench/data/join-acks.jsonl --output output=bench/out/join.jsonl --quiet
python3 bench/duckdb_join.py bench/data/join-readings.jsonl bench/data/join-acks.jsonl bench/out/join.jsonl

echo "MATCH_RECOGNIZE (normal reading, then two or more hot ones, per device within a minute):"
measure 1000000 match .build/release/saql run bench/queries/match.saql --input Telemetry=bench/data/telemetry-1000000.jsonl \
  --output-dir bench/out --quiet
python3 bench/match_check.py bench/data/telemetry-1000000.jsonl bench/out/Matches.jsonl

echo "user functions (the filter with its predicate through a trivial Swift and JavaScript UDF):"
swift build -c release --product saql-bench >&2
.build/release/saql-bench udf bench/data/telemetry-1000000.jsonl --runs "$RUNS"
python3 bench/duckdb_udf.py bench/data/telemetry-1000000.jsonl "$RUNS"

echo "anomaly detection (detector alone):"
swift build -c release --product saql-bench >&2
.build/release/saql-bench anomaly

echo "PostgreSQL output (bench/postgres.sh):"
bench/postgres.sh 1000000
echo "MQTT in and out (bench/mqtt.sh):"
bench/mqtt.sh 200000
echo "Parquet and Avro output (bench/parquet.sh):"
bench/parquet.sh 1000000
