#!/usr/bin/env bash
# A real Mosquitto broker on loopback for saql's MQTT tests: Debian's `mosquitto` package (and
# `mosquitto-clients`, the independent client the tests publish and subscribe with), anonymous
# access on 127.0.0.1 only, in-memory (no persistence file).
#
#   eval "$(scripts/mosquitto-server.sh start [PORT])"   # install if needed, start if not running;
#                                                        # prints only `export` lines on stdout
#   scripts/mosquitto-server.sh stop [PORT]
#
# Exports SAQL_TEST_MQTT_URL (mqtt://127.0.0.1:PORT) and SAQL_TEST_MQTT_PORT. A second listener on
# PORT+1 speaks TLS with a throw-away self-signed certificate for 127.0.0.1: SAQL_TEST_MQTTS_URL
# and SAQL_TEST_MQTT_CA (the certificate to trust).
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
    if [ ! -f "$BASE.crt" ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$BASE.key" -out "$BASE.crt" 2>/dev/null
      chmod 644 "$BASE.key" "$BASE.crt"
    fi
    cat > "$BASE.conf" <<CONF
per_listener_settings false
allow_anonymous true
listener $PORT 127.0.0.1
listener $((PORT + 1)) 127.0.0.1
certfile $BASE.crt
keyfile $BASE.key
persistence false
max_queued_messages 0
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
  echo "export SAQL_TEST_MQTTS_URL=mqtts://127.0.0.1:$((PORT + 1))"
  echo "export SAQL_TEST_MQTT_CA=$BASE.crt"
}

case "$CMD" in
  start) start ;;
  stop)
    if running; then
      kill "$(cat "$BASE.pid")"
      for _ in $(seq 50); do running || break; sleep 0.1; done
    fi
    true ;;
  *) echo "usage: $0 start|stop [PORT]" >&2; exit 2 ;;
esac
