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
printf '%-40s %6d rows in %d files\n' "queries/out/lake/YYYY/MM/DD/HH/" \
  "$(cat $(find queries/out/lake -name '*.jsonl') | wc -l)" "$(find queries/out/lake -name '*.jsonl' | wc -l)"
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("queries/out/iot.db")
for table in ("device_state", "anomaly_alerts", "maintenance_status"):
    print(f"{'queries/out/iot.db: ' + table:<40} {db.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:6d} rows")
print("\nmaintenance status:")
for row in db.execute("SELECT DeviceId, Site, WindowEnd, MaintenanceStatus FROM maintenance_status ORDER BY WindowEnd, DeviceId"):
    print("  " + "  ".join(str(v) for v in row))
PY
