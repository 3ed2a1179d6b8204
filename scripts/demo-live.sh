#!/usr/bin/env bash
# Runs the IoT example job on its sample files at 60x their real pace (two hours of telemetry in
# two minutes) with the live job page on; open the URL it prints. SAQL_DEMO_PACE and
# SAQL_DEMO_UI change the pace ('realtime', '10x', ...) and the address ([HOST:]PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product saql >&2
rm -rf queries/out
echo "open http://${SAQL_DEMO_UI:-127.0.0.1:8080}/ (the job runs for about two minutes at 60x)" >&2
exec .build/release/saql run queries/iot-telemetry.saql --set replay="${SAQL_DEMO_PACE:-60x}" --ui "${SAQL_DEMO_UI:-127.0.0.1:8080}"
