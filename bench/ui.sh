#!/usr/bin/env bash
# The live page's cost: the agg job on 10M events with the page off, and with it on with two
# clients connected (the page in headless Chromium, and a second event stream), in alternating
# runs; medians of 3, outputs compared.
#
#   bench/ui.sh [EVENTS]        default: 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
RUNS=${SAQL_BENCH_RUNS:-3}
PORT=${SAQL_BENCH_UI_PORT:-18555}
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
scripts/setup.sh
UIPY=$(scripts/ui-browser.sh)
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install -q numpy
swift build -c release --product saql >&2
mkdir -p bench/data bench/out
data=bench/data/telemetry-$N.jsonl
[ -f "$data" ] || python3 "$GEN" --events "$N" --devices 1000 --rate 1000 --seed 42 -o "$data"
out=bench/out/ui
rm -rf "$out"; mkdir -p "$out"
saql=.build/release/saql

run_off() {
  /usr/bin/time -f "off %e %M %U %S" -a -o "$out/times" $saql run bench/queries/agg.saql --input Telemetry="$data" \
    --output Aggregates="$out/agg-off.jsonl" --quiet
}
run_on() {
  /usr/bin/time -f "on %e %M %U %S" -a -o "$out/times" $saql run bench/queries/agg.saql --input Telemetry="$data" \
    --output Aggregates="$out/agg-on.jsonl" --quiet --ui "127.0.0.1:$PORT" &
  local job=$!
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/api/plan"; do sleep 0.02; done
  curl -sN "http://127.0.0.1:$PORT/api/events" > "$out/stream.txt" 2>/dev/null &
  local stream=$!
  "$UIPY" bench/ui_client.py "http://127.0.0.1:$PORT/" >> "$out/page.txt" &
  local page=$!
  wait "$job"
  wait "$page" || true
  kill "$stream" 2>/dev/null || true
  echo "updates on the second stream: $(grep -c '^data:' "$out/stream.txt")" >> "$out/page.txt"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "$N events, agg job; median of $RUNS alternating runs"
for i in $(seq "$RUNS"); do run_off; run_on; done
for mode in off on; do
  ts=$(awk -v m=$mode '$1 == m { print $2 }' "$out/times" | sort -n)
  med=$(echo "$ts" | sed -n "$(( ($(echo "$ts" | wc -l) + 1) / 2 ))p")
  rss=$(awk -v m=$mode '$1 == m && $3 > r { r = $3 } END { print r }' "$out/times")
  cpu=$(awk -v m=$mode '$1 == m { print $4 + $5 }' "$out/times" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-28s %10.0f events/s %7.2f s %8.1f MB   saql CPU %.2f s\n' "page $mode$([ $mode = on ] && echo ', two clients')" \
    "$(echo "$N / $med" | bc -l)" "$med" "$(echo "$rss / 1024" | bc -l)" "$cpu"
done
cat "$out/page.txt"
cmp -s "$out/agg-off.jsonl" "$out/agg-on.jsonl" && echo "outputs equal: $(wc -l < "$out/agg-off.jsonl") rows" || { echo "outputs DIFFER"; exit 1; }
