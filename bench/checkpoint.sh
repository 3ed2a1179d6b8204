#!/usr/bin/env bash
# The cost of checkpoints and the SQLite sink's speed (results in BENCHMARKS.md).
#
#   bench/checkpoint.sh [EVENTS]      default 10000000
#
# 1. A 1-hour tumbling aggregate over 100K devices (100K groups of window state) without
#    checkpoints, then with checkpoint_interval 10 s and 1 s: events/s and checkpoint time and size.
# 2. 1M events into a SQLite table (insert), and upserted into 1,000 device rows: rows/s.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
N=${1:-10000000}
scripts/setup.sh
swift build -c release --product saql >&2
mkdir -p bench/data bench/out
data=bench/data/telemetry-$N-100k.jsonl
[ -f "$data" ] || python3 "$GEN" --events "$N" --devices 100000 --rate 5000 --seed 42 -o "$data"
echo "machine: $(nproc) cores, $(uname -sr); $N events, 100,000 devices"
for interval in none 10s 1s; do
  rm -rf bench/out/state
  args=()
  [ "$interval" = none ] || args=(--state bench/out/state --set checkpoint_interval=$interval)
  start=$(date +%s.%N)
  summary=$(.build/release/saql run bench/queries/state-100k.saql --input Telemetry="$data" \
            --output Hourly=bench/out/hourly.jsonl "${args[@]}" 2>&1 | tail -1)
  end=$(date +%s.%N)
  printf 'interval %-5s %10.0f events/s  %s\n' "$interval" "$(echo "$N / ($end - $start)" | bc -l)" \
    "$(echo "$summary" | grep -o 'checkpoints=.*' || true)"
done
small=bench/data/telemetry-1000000.jsonl
[ -f "$small" ] || python3 "$GEN" --events 1000000 --devices 1000 --rate 1000 --seed 42 -o "$small"
for q in sqlite-insert sqlite-upsert; do
  rm -f bench/out/sink.db*
  start=$(date +%s.%N)
  .build/release/saql run bench/queries/$q.saql --input Telemetry="$small" --quiet
  end=$(date +%s.%N)
  printf '%-14s %10.0f rows/s\n' "$q" "$(echo "1000000 / ($end - $start)" | bc -l)"
done
