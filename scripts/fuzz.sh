#!/usr/bin/env bash
# Fuzzes saql's front doors for a bounded time (not part of CI): query text, job headers, event
# bytes and Avro files through saql-fuzz, checkpoint blobs through CheckpointFuzzTests. Each target runs in its
# own process, restarted with a new seed after a crash so one crash does not end the run.
#   scripts/fuzz.sh [CPU_SECONDS_PER_TARGET] [OUT_DIR]
# Budgets are CPU time (the driver counts its own), so `nice -n 19 scripts/fuzz.sh 900` beside other
# work still fuzzes 900 CPU seconds per target: 4 targets x 900 s is one CPU-hour.
# Crashing and hanging inputs are kept in OUT_DIR (crash-*.txt, hang-*.txt); a summary is printed.
# Runs are deterministic per seed: a crash that left no file (a stack overflow can take the handler
# down too) is reproduced with: gdb -batch -ex run -ex bt --args .build/debug/saql-fuzz TARGET --seed N
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=${2:-fuzz-out}
mkdir -p "$out"
swift build --product saql-fuzz >&2 || exit 1
bin=.build/debug/saql-fuzz
pids=()
for target in query header events avro; do
  (
    seed=1 used=0
    # CPU seconds used by this target's runs so far, as /usr/bin/time reports each (a crashed run's
    # report ends with the same line).
    while [ "$used" -lt "$seconds" ]; do
      left=$((seconds - used))
      /usr/bin/time -f "%U %S" -o "$out/.cpu-$target" "$bin" "$target" --seconds "$left" --seed "$seed" --out "$out" >>"$out/$target.log" 2>&1 || { echo "saql-fuzz $target: seed $seed ended with a crash or hang" >>"$out/$target.log"; touch "$out/crash-$target-seed-$seed"; }
      used=$((used + $(tail -1 "$out/.cpu-$target" | awk '{ printf "%d", $1 + $2 + 1 }')))
      seed=$((seed + 1))
    done
  ) &
  pids+=($!)
done
# Checkpoint restore: the test's mutations, multiplied.
SAQL_FUZZ_INTENSITY=$(( seconds / 30 > 1 ? seconds / 30 : 1 )) swift test --filter CheckpointFuzzTests >"$out/checkpoint.log" 2>&1
echo "checkpoint: $(grep -E 'Test run' "$out/checkpoint.log" | tail -1)"
wait "${pids[@]}"
for target in query header events avro; do grep -h "saql-fuzz $target" "$out/$target.log"; done
ls "$out" | grep -E '^(crash|hang)-' && exit 1
echo "no crashes, no hangs"
