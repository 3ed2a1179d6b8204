#!/usr/bin/env bash
# One core against two: saql's whole process pinned to one core (file inputs then read on the run
# thread) and free on both (the next batches read and decoded on a second thread), beside DuckDB's
# engine alone with 1 and 2 threads, in alternating rounds; medians. Rows are checked against
# DuckDB's after the runs (bench/duckdb_check.py).
#
#   bench/cores.sh [EVENTS ...]        default: 1000000 10000000; SAQL_BENCH_ROUNDS (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)
ROUNDS=${SAQL_BENCH_ROUNDS:-5}
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
python3 -c 'import numpy, duckdb' 2>/dev/null || python3 -m pip install -q numpy duckdb
swift build -c release --product saql >&2
mkdir -p bench/data bench/out/cores
SAQL=.build/release/saql

wall() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
median() { sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p"; }

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
printf '%-9s %-7s %14s %14s %8s %12s %12s %10s %10s\n' events query "saql 1 core" "saql 2 cores" "2c/1c" "DuckDB t=1" "DuckDB t=2" "vs t=1" "vs t=2"
for n in "${SIZES[@]}"; do
  data=bench/data/telemetry-$n.jsonl
  [ -f "$data" ] || python3 "$GEN" --events "$n" --devices 1000 --rate 1000 --seed 42 -o "$data"
  for q in agg filter vib; do
    s1=() s2=() d1=() d2=()
    for _ in $(seq "$ROUNDS"); do
      s1+=("$(wall taskset -c 1 $SAQL run "bench/queries/$q.saql" --input Telemetry="$data" --output-dir bench/out/cores/1 --quiet)")
      d1+=("$(taskset -c 1 python3 bench/duckdb_time.py "$data" "$q" 1)")
      s2+=("$(wall $SAQL run "bench/queries/$q.saql" --input Telemetry="$data" --output-dir bench/out/cores/2 --quiet)")
      d2+=("$(python3 bench/duckdb_time.py "$data" "$q" 2)")
    done
    m1=$(printf '%s\n' "${s1[@]}" | median) m2=$(printf '%s\n' "${s2[@]}" | median)
    e1=$(printf '%s\n' "${d1[@]}" | median) e2=$(printf '%s\n' "${d2[@]}" | median)
    printf '%-9s %-7s %7s %5.2fM/s %7s %5.2fM/s %7.2fx %7ss %3.1fM %7ss %3.1fM %9.2fx %9.2fx\n' "$n" "$q" \
      "$m1" "$(echo "$n / $m1 / 1000000" | bc -l)" "$m2" "$(echo "$n / $m2 / 1000000" | bc -l)" "$(echo "$m1 / $m2" | bc -l)" \
      "$e1" "$(echo "$n / $e1 / 1000000" | bc -l)" "$e2" "$(echo "$n / $e2 / 1000000" | bc -l)" \
      "$(echo "$e1 / $m1" | bc -l)" "$(echo "$e2 / $m2" | bc -l)"
  done
  for f in Aggregates Hot Maintenance; do
    cmp -s "bench/out/cores/1/$f.jsonl" "bench/out/cores/2/$f.jsonl" || { echo "$f: one-core and two-core outputs differ" >&2; exit 1; }
  done
  python3 bench/duckdb_check.py "$data" bench/out/cores/2 | sed 's/^/  rows (same on one and two cores): /'
done
echo "(vs t=N: DuckDB's engine time over saql's whole-process time; above 1 means saql is faster)"
