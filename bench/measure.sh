# Shared by the benchmark scripts (sourced). RUNS: how many runs each measurement takes.
RUNS=${SAQL_BENCH_RUNS:-3}

# measure EVENTS LABEL COMMAND...: runs COMMAND $RUNS times; prints events/s (median) and peak RSS.
# BEFORE_EACH, when set, is evaluated before each run (untimed): it resets what a run writes.
measure() {
  local n=$1 label=$2 times=() rss=0 out r median
  shift 2
  for _ in $(seq "$RUNS"); do
    if [ -n "${BEFORE_EACH:-}" ]; then eval "$BEFORE_EACH"; fi
    out=$( { /usr/bin/time -f "%e %M" "$@"; } 2>&1 >/dev/null )
    times+=("$(echo "$out" | tail -1 | cut -d' ' -f1)")
    r=$(echo "$out" | tail -1 | cut -d' ' -f2); [ "$r" -gt "$rss" ] && rss=$r
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-10s %-14s %12.0f %10s %8.1f MB\n' "$n" "$label" "$(echo "$n / $median" | bc -l)" "$median" "$(echo "$rss / 1024" | bc -l)"
}

