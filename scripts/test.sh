#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs the Swift test suites (unit, golden corpus,
# integration) and the public ASA conformance cases this project has implemented.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== swift build (warnings are errors)" >&2
swift build -Xswiftc -warnings-as-errors 2>&1 | tail -n 3

echo "== swift test" >&2
swift test 2>&1 | tail -n 25

CASES=../shared/conformance/cases
if [ -d "$CASES" ]; then
  echo "== ASA conformance cases" >&2
  python3 ../shared/conformance/run.py --saql .build/debug/saql --cases "$CASES" \
    --require Tests/conformance-required.txt --quiet
else
  echo "== ASA conformance cases skipped: $CASES not found" >&2
fi
