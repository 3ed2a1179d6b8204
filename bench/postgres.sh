#!/usr/bin/env bash
# PostgreSQL output throughput: the IoT archive (every reading inserted, through COPY) and device
# state (every reading upserted by DeviceId, 1,000 keys), with and without --state (exactly once:
# rows and checkpoint commit in one transaction), next to the same jobs on SQLite and to the peer:
# psql's \copy of the same rows as CSV (the server's own bulk load, no stream engine).
#
#   bench/postgres.sh [EVENTS]        default: 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
GEN=${SAQL_BENCH_GENERATOR:-../shared/bench/gen_telemetry.py}
PG_PORT=${SAQL_BENCH_PG_PORT:-15439}
source bench/measure.sh

scripts/setup.sh
swift build -c release --product saql >&2
eval "$(scripts/postgres-server.sh start "$PG_PORT")"
trap 'scripts/postgres-server.sh stop "$PG_PORT"' EXIT
export PG_URL=$SAQL_TEST_PG_URL
mkdir -p bench/data bench/out
data=bench/data/telemetry-$N.jsonl
[ -f "$data" ] || python3 "$GEN" --events "$N" --devices 1000 --rate 1000 --seed 42 -o "$data"
csv=bench/data/telemetry-$N.csv
[ -f "$csv" ] || python3 -c '
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        e = json.loads(line)
        o.write("%s,%s,%s,%r,%r,%r\n" % (e["DeviceId"], e["DeviceType"], e["EventEnqueuedUtcTime"], e["Temperature"], e["Pressure"], e["Vibration"]))
' "$data" "$csv"

sql() { psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning; $1"; }
reset_pg='sql "DROP TABLE IF EXISTS bench_archive, bench_state, bench_copy; DROP TABLE IF EXISTS saql_progress"; rm -rf bench/out/state'
reset_lite='rm -rf bench/out/bench.db* bench/out/state'
# run JOB [ARGS]: the command line of one saql run (a command, not a function: /usr/bin/time runs it).
run() { echo .build/release/saql run "bench/queries/$1.saql" --input Telemetry="$data" --quiet "${@:2}"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "PostgreSQL $(psql --version | awk '{print $3}') on loopback (fsync on), $N events"
printf '%-10s %-14s %12s %10s %10s\n' events job "events/s" "median s" "peak RSS"
for mode in insert upsert; do
  BEFORE_EACH=$reset_pg measure "$N" "pg-$mode" $(run "pg-$mode")
  BEFORE_EACH=$reset_pg measure "$N" "pg-$mode-state" $(run "pg-$mode" --state bench/out/state)
  BEFORE_EACH=$reset_lite measure "$N" "sqlite-$mode" $(run "sqlite-$mode")
done
BEFORE_EACH='sql "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (\"DeviceId\" TEXT, \"DeviceType\" TEXT, \"EventEnqueuedUtcTime\" TIMESTAMPTZ, \"Temperature\" DOUBLE PRECISION, \"Pressure\" DOUBLE PRECISION, \"Vibration\" DOUBLE PRECISION)"' \
  measure "$N" "peer-psql-copy" psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "\\copy bench_copy FROM '$csv' CSV"

# The rows arrived, and the upserted state is the last reading per device.
eval "$reset_pg"; $(run pg-insert); $(run pg-upsert)
[ "$(sql 'SELECT count(*) FROM bench_archive')" = "$N" ] || { echo "bench_archive: expected $N rows" >&2; exit 1; }
[ "$(sql 'SELECT count(*) FROM bench_state')" = "1000" ] || { echo "bench_state: expected 1000 rows" >&2; exit 1; }
echo "checked: $N archive rows, 1000 device rows"
