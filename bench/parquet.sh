#!/usr/bin/env bash
# Lake formats: the agg, filter and archive jobs writing Parquet against the same jobs writing JSON
# Lines (and the archive as Avro; alternating runs), the peer DuckDB converting the same events to
# Parquet, the files read back and compared row for row (pyarrow and DuckDB; fastavro), and
# DuckDB's queries on the JSON Lines and the Parquet lake.
#
#   bench/parquet.sh [EVENTS]        default: 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${SAQL_BENCH_RUNS:-3}
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
scripts/setup.sh
PY=$(scripts/lake-readers.sh)
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install -q numpy
swift build -c release --product saql >&2
mkdir -p bench/data bench/out
data=bench/data/telemetry-$N.jsonl
[ -f "$data" ] || python3 "$GEN" --events "$N" --devices 1000 --rate 1000 --seed 42 -o "$data"
out=bench/out/parquet
saql=.build/release/saql

# run LABEL COMMAND...: one timed run; appends "LABEL seconds rss_kb" to $out/times.
run() {
  local label=$1; shift
  local t; t=$( { /usr/bin/time -f "%e %M" "$@"; } 2>&1 >/dev/null | tail -1 )
  echo "$label $t" >> "$out/times"
}

rm -rf "$out"; mkdir -p "$out"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "$N events; median of $RUNS alternating runs"
for i in $(seq "$RUNS"); do
  for q in agg filter; do
    out_name=$([ $q = agg ] && echo Aggregates || echo Hot)
    for f in jsonl parquet; do
      rm -f "$out/$q.$f"
      run "$q-$f" $saql run "bench/queries/$q.saql" --input Telemetry="$data" --output "$out_name=$out/$q.$f" --quiet
    done
  done
  for f in jsonl parquet avro; do
    rm -rf "$out/lake-$f"
    run "archive-$f" $saql run bench/queries/archive.saql --input Telemetry="$data" \
      --output "Archive=$out/lake-$f/{date}/{time}/telemetry.$f" --quiet
  done
  rm -f "$out/peer.parquet"
  run "peer-duckdb" "$PY" -c "
import duckdb, sys
duckdb.sql(\"SET threads = 1\")
duckdb.sql(\"COPY (SELECT DeviceId, DeviceType, CAST(EventEnqueuedUtcTime AS TIMESTAMP) AS EventEnqueuedUtcTime, Temperature, Pressure, Vibration FROM read_json('$data', columns = {DeviceId: 'VARCHAR', DeviceType: 'VARCHAR', EventEnqueuedUtcTime: 'VARCHAR', Temperature: 'DOUBLE', Pressure: 'DOUBLE', Vibration: 'DOUBLE'})) TO '$out/peer.parquet' (FORMAT parquet, COMPRESSION snappy)\")
"
done
printf '%-16s %12s %10s %10s\n' job "events/s" "median s" "peak RSS"
for label in agg-jsonl agg-parquet filter-jsonl filter-parquet archive-jsonl archive-parquet archive-avro peer-duckdb; do
  ts=$(awk -v l="$label" '$1 == l { print $2 }' "$out/times" | sort -n)
  m=$(echo "$ts" | sed -n "$(( ($(echo "$ts" | wc -l) + 1) / 2 ))p")
  r=$(awk -v l="$label" '$1 == l && $3 > r { r = $3 } END { print r }' "$out/times")
  printf '%-16s %12.0f %10.2f %8.1f MB\n' "$label" "$(echo "$N / $m" | bc -l)" "$m" "$(echo "$r / 1024" | bc -l)"
done

echo "on disk:"
for f in jsonl parquet avro; do
  printf '  lake-%-8s %6s in %s files\n' "$f" "$(du -sh "$out/lake-$f" | cut -f1)" "$(find "$out/lake-$f" -type f | wc -l)"
done
printf '  peer.parquet   %6s\n' "$(du -sh "$out/peer.parquet" | cut -f1)"

echo "read back (pyarrow and DuckDB; fastavro for Avro), row for row against the JSON Lines output:"
find "$out/lake-jsonl" -name '*.jsonl' | sort | xargs cat > "$out/lake.jsonl"
for pair in "agg.jsonl agg.parquet" "filter.jsonl filter.parquet" "lake.jsonl lake-parquet" "lake.jsonl lake-avro"; do
  set -- $pair
  files=$(if [ -d "$out/$2" ]; then find "$out/$2" -type f | sort; else echo "$out/$2"; fi)
  printf '  %-16s ' "$2"; "$PY" Tests/RuntimeTests/Fixtures/lake_compare.py "$out/$1" $files
done

echo "DuckDB on each lake (1 thread, median of $RUNS alternating runs):"
"$PY" bench/duckdb_lake.py "$out/lake-jsonl" "$out/lake-parquet" "$RUNS"
