#!/usr/bin/env bash
# The test command: installs dependencies, builds, starts a Kafka-compatible broker, a PostgreSQL
# server and a Mosquitto broker on loopback, runs the Swift test suites (unit, golden corpus,
# integration against those servers), the live page's test in headless Chromium, and the public
# ASA conformance cases this project has implemented.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== swift build (warnings are errors)" >&2
mkdir -p .build
if ! swift build -Xswiftc -warnings-as-errors > .build/swift-build.log 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' .build/swift-build.log
  exit 1
fi
tail -n 1 .build/swift-build.log

echo "== Kafka test broker (Tansu on loopback)" >&2
PORT=${SAQL_TEST_KAFKA_PORT:-19100}
eval "$(scripts/kafka-broker.sh start "$PORT")"
PG_PORT=${SAQL_TEST_PG_PORT:-15432}
MQTT_PORT=${SAQL_TEST_MQTT_PORT:-18830}
trap 'scripts/kafka-broker.sh stop "$PORT"; scripts/postgres-server.sh stop "$PG_PORT"; scripts/mosquitto-server.sh stop "$MQTT_PORT"' EXIT
export SAQL_REQUIRE_KAFKA=1

echo "== PostgreSQL test server (loopback)" >&2
eval "$(scripts/postgres-server.sh start "$PG_PORT")"
export SAQL_REQUIRE_POSTGRES=1

echo "== Mosquitto test broker (loopback)" >&2
eval "$(scripts/mosquitto-server.sh start "$MQTT_PORT")"
export SAQL_REQUIRE_MQTT=1

echo "== Lake file readers for the round-trip tests (pyarrow, DuckDB, fastavro)" >&2
SAQL_READERS_PYTHON=$(scripts/lake-readers.sh)
export SAQL_READERS_PYTHON SAQL_REQUIRE_LAKE_READERS=1

echo "== swift test" >&2
# A crash in the test process prints the crashed thread first, so the log keeps it even if the
# backtracer is cut off.
export SWIFT_BACKTRACE=enable=yes,threads=crashed,images=none,registers=none
# The whole log is kept; the console shows everything but the lines of tests that passed, so every
# failure's message reaches the CI log in full.
# A hang must not eat CI's budget in silence: past 40 minutes the run is stopped and the tests that
# started and never finished are named.
set +e
timeout --kill-after=30 2400 swift test 2>&1 | tee .build/swift-test.log \
  | awk '!/^(✔|◇|􀟈|Test Case .*(started|passed)|Test Suite .*(started|passed))/ { print; fflush() }'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "swift test stopped after 40 minutes; tests started and not finished:" >&2
    python3 - .build/swift-test.log <<'PY' >&2
import re, sys
started, done = [], set()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^\S+ Test (?!case |run )(\S+) (?:.* )?(started|passed|failed|skipped)", line)
    if m:
        (started.append if m.group(2) == "started" else done.add)(m.group(1))
for t in started:
    if t not in done:
        print("  " + t)
PY
  fi
  exit "$status"
fi

echo "== Examples/EdgeGateway: the embedding API, used from another package" >&2
if ! swift build --package-path Examples/EdgeGateway -Xswiftc -warnings-as-errors > .build/edge-gateway-build.log 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' .build/edge-gateway-build.log
  exit 1
fi
edge=$(swift run --skip-build --package-path Examples/EdgeGateway EdgeGateway)
echo "$edge"
if ! grep -q '^ALERT pump-2 at 2024-06-01T08:30:00' <<<"$edge" || ! grep -q 'errors: 0$' <<<"$edge"; then
  echo "EdgeGateway: expected pump-2's spike alert and no errors" >&2
  exit 1
fi

echo "== Live job page in headless Chromium (Selenium)" >&2
UI_PY=$(scripts/ui-browser.sh)
"$UI_PY" Tests/ui/ui_test.py --saql .build/debug/saql

CASES=../shared/conformance/cases
if [ -d "$CASES" ]; then
  echo "== ASA conformance cases" >&2
  python3 ../shared/conformance/run.py --saql .build/debug/saql --cases "$CASES" \
    --require Tests/conformance-required.txt --quiet
else
  echo "== ASA conformance cases skipped: $CASES not found" >&2
fi
