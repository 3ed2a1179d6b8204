#!/usr/bin/env bash
# Builds saql and runs the IoT example job on its bundled sample data (files in; files, a
# date-partitioned archive and SQLite tables out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product saql >&2
rm -rf queries/out
.build/release/saql run queries/iot-telemetry.saql
echo
for f in queries/out/*.jsonl; do
  printf '%-40s %6d rows\n' "$f" "$(wc -l <"$f")"
done
lake=$(find queries/out/lake -name '*.parquet' | sort)
# The archive read back by an independent Parquet reader, when one is installed.
PY_PQ=""
for py in .venv-readers/bin/python python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import duckdb' 2>/dev/null; then PY_PQ=$py; break; fi
done
if [ -n "$PY_PQ" ]; then
  "$PY_PQ" - $lake <<'PY'
import sys, duckdb
files = sys.argv[1:]
rel = duckdb.sql(f"SELECT count(*), count(DISTINCT DeviceId), min(EventTime), max(EventTime) FROM read_parquet({files!r})")
n, devices, first, last = rel.fetchall()[0]
print(f"{'queries/out/lake/YYYY/MM/DD/HH/*.parquet':<40} {n:6d} rows in {len(files)} files (read by DuckDB: {devices} devices, {first} to {last})")
PY
elif python3 -c 'import pyarrow' 2>/dev/null; then
  python3 - $lake <<'PY'
import sys, pyarrow.parquet as pq
files = sys.argv[1:]
print(f"{'queries/out/lake/YYYY/MM/DD/HH/*.parquet':<40} {sum(pq.read_metadata(f).num_rows for f in files):6d} rows in {len(files)} files (read by pyarrow)")
PY
else
  printf '%-40s %d files (pip install duckdb to read them back)\n' "queries/out/lake/YYYY/MM/DD/HH/*.parquet" "$(echo "$lake" | wc -w)"
fi
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("queries/out/iot.db")
for table in ("device_state", "anomaly_alerts", "maintenance_status"):
    print(f"{'queries/out/iot.db: ' + table:<40} {db.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:6d} rows")
print("\nmaintenance status:")
for row in db.execute("SELECT DeviceId, Site, WindowEnd, MaintenanceStatus FROM maintenance_status ORDER BY WindowEnd, DeviceId"):
    print("  " + "  ".join(str(v) for v in row))
PY
