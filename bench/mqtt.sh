#!/usr/bin/env bash
# MQTT in and out messages/s on a loopback Mosquitto, beside Mosquitto's own
# clients (mosquitto_pub/mosquitto_sub) in the same run (bench/mqtt_bench.py); then the latency
# saql adds, beside the broker's own hop, with libmosquitto as the client (bench/mqtt_latency.py).
#
#   bench/mqtt.sh [MESSAGES]        default: 200000
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SAQL_BENCH_MQTT_PORT:-18839}
scripts/setup.sh
swift build -c release --product saql >&2
eval "$(scripts/mosquitto-server.sh start "$PORT")"
trap 'scripts/mosquitto-server.sh stop "$PORT"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); Mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}') on loopback"
python3 bench/mqtt_bench.py .build/release/saql "$PORT" "${1:-200000}"
python3 bench/mqtt_latency.py .build/release/saql "$PORT" 1000 10
