#!/usr/bin/env bash
# Builds saql and runs the IoT example job on its bundled sample data (files in, files out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product saql >&2
rm -rf queries/out
.build/release/saql run queries/iot-telemetry.saql
echo
for f in queries/out/*.jsonl; do
  printf '%-36s %6d rows\n' "$f" "$(wc -l <"$f")"
done
echo
echo "maintenance alerts:"
cat queries/out/maintenance.jsonl
