#!/usr/bin/env bash
# Kafka → saql → Kafka benchmark on loopback (results in BENCHMARKS.md): starts a Tansu broker on its
# own port, builds saql in release mode, and runs bench/kafka_bench.py on 1M IoT events.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product saql >&2
N=${1:-1000000}
DATA=bench/data/telemetry-$N.jsonl
[ -f "$DATA" ] || python3 ../shared/bench/gen_telemetry.py --events "$N" --devices 1000 --rate 1000 --seed 42 -o "$DATA"
eval "$(scripts/kafka-broker.sh start 19400)"
trap 'scripts/kafka-broker.sh stop 19400' EXIT
.venv-kafka/bin/python bench/kafka_bench.py "$DATA" .build/release/saql
