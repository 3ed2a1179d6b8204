#!/usr/bin/env bash
# Event Hubs Capture replay: the agg job reading 1M IoT events from Capture files (4 partitions,
# one Avro file per partition and minute, written by fastavro with the Capture schema) against the
# same job on the same events as JSON Lines, in alternating runs; the outputs compared; and a peer,
# fastavro with Python's json decoding the same files, measured in the same run.
#
#   bench/capture.sh [EVENTS]        default: 1000000
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
capture=bench/data/capture-$N
[ -d "$capture" ] || "$PY" Tests/RuntimeTests/Fixtures/make_avro.py capture "$data" "$capture" 4 EventEnqueuedUtcTime
out=$PWD/bench/out/capture
saql=.build/release/saql
rm -rf "$out"; mkdir -p "$out"
# Capture's EnqueuedTimeUtc has whole seconds, so the partitions' events of one second interleave:
# both jobs take the 1 s out-of-order tolerance that a live job on 4 partitions would need.
query=$(sed '/^--/d' bench/queries/agg.saql)
for f in json capture; do
  input=$([ $f = json ] && echo "path = '$PWD/$data'" || echo "path = '$PWD/$capture', format = 'eventhubs-capture'")
  printf "%s\n" "SET out_of_order_tolerance = '1s';" > "$out/agg-$f.saql"
  printf "CREATE INPUT Telemetry WITH (connector = 'file', %s);\nCREATE OUTPUT Aggregates WITH (connector = 'file', path = '%s');\n%s\n" \
    "$input" "$out/agg-$f.jsonl" "$query" >> "$out/agg-$f.saql"
done

run() {
  local label=$1; shift
  local t; t=$( { /usr/bin/time -f "%e %M" "$@"; } 2>&1 >/dev/null | tail -1 )
  echo "$label $t" >> "$out/times"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "$N events in $(find "$capture" -name '*.avro' | wc -l) capture files ($(du -sh "$capture" | cut -f1)); median of $RUNS alternating runs"
for i in $(seq "$RUNS"); do
  for f in json capture; do run "agg-$f" $saql run "$out/agg-$f.saql" --quiet; done
  run "peer-fastavro" "$PY" -c "
import fastavro, json, glob
n = 0
for p in sorted(glob.glob('$capture/**/*.avro', recursive=True)):
    with open(p, 'rb') as f:
        for r in fastavro.reader(f):
            b = json.loads(r['Body'])
            n += len(b) if isinstance(b, list) else 1
assert n == $N, n
"
done
printf '%-16s %12s %10s %10s\n' job "events/s" "median s" "peak RSS"
for label in agg-json agg-capture peer-fastavro; do
  ts=$(awk -v l="$label" '$1 == l { print $2 }' "$out/times" | sort -n)
  m=$(echo "$ts" | sed -n "$(( ($(echo "$ts" | wc -l) + 1) / 2 ))p")
  r=$(awk -v l="$label" '$1 == l && $3 > r { r = $3 } END { print r }' "$out/times")
  printf '%-16s %12.0f %10.2f %8.1f MB\n' "$label" "$(echo "$N / $m" | bc -l)" "$m" "$(echo "$r / 1024" | bc -l)"
done
if cmp -s <(sort "$out/agg-json.jsonl") <(sort "$out/agg-capture.jsonl"); then
  echo "outputs equal: $(wc -l < "$out/agg-json.jsonl") rows"
else
  echo "outputs DIFFER"; exit 1
fi
