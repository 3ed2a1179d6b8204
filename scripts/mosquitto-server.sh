#!/usr/bin/env bash
# A real Mosquitto broker on loopback for saql's MQTT tests: Debian's `mosquitto` package (and
# `mosquitto-clients`, the independent client the tests publish and subscribe with), anonymous
# access on 127.0.0.1 only, in-memory (no persistence file).
#
#   eval "$(scripts/mosquitto-server.sh start [PORT])"   # install if needed, start if not running;
#                                                        # prints only `export` lines on stdout
#   scripts/mosquitto-server.sh stop [PORT]
#
# Exports SAQL_TEST_MQTT_URL (mqtt://127.0.0.1:PORT) and SAQL_TEST_MQTT_PORT.
set -euo pipefail
CMD=${1:-start}
PORT=${2:-18830}
BASE=/tmp/saql-mosquitto-$PORT
note() { echo "mosquitto-server: $*" >&2; }

install() {
  local missing=()
  [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
  [ ${#missing[@]} -eq 0 ] && return
  note "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >&2
}

running() { [ -f "$BASE.pid" ] && kill -0 "$(cat "$BASE.pid")" 2>/dev/null; }

start() {
  install
  if ! running; then
    cat > "$BASE.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
pid_file $BASE.pid
log_dest file $BASE.log
CONF
    # Mosquitto drops root privileges to the `mosquitto` user, which must be able to write the log.
    touch "$BASE.log" "$BASE.pid" && chmod 666 "$BASE.log" "$BASE.pid"
    /usr/sbin/mosquitto -c "$BASE.conf" -d
    for _ in $(seq 50); do
      mosquitto_pub -h 127.0.0.1 -p "$PORT" -t saql/ready -m 1 2>/dev/null && break
      sleep 0.1
    done
    note "Mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}') on 127.0.0.1:$PORT"
  fi
  echo "export SAQL_TEST_MQTT_URL=mqtt://127.0.0.1:$PORT"
  echo "export SAQL_TEST_MQTT_PORT=$PORT"
}

case "$CMD" in
  start) start ;;
  stop) if running; then kill "$(cat "$BASE.pid")"; fi; true ;;
  *) echo "usage: $0 start|stop [PORT]" >&2; exit 2 ;;
esac
