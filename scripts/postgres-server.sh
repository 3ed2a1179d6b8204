#!/usr/bin/env bash
# A real PostgreSQL server on loopback for saql's integration tests and benchmarks: Debian's
# `postgresql` package, a throw-away data directory, trust authentication on 127.0.0.1 only.
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user when we are root.
#
#   eval "$(scripts/postgres-server.sh start [PORT])"   # install if needed, start if not running;
#                                                       # prints only `export` lines on stdout
#   scripts/postgres-server.sh stop [PORT]
#   scripts/postgres-server.sh restart [PORT]           # stop and start the same data directory
#
# Exports SAQL_TEST_PG_URL (postgresql://saql@127.0.0.1:PORT/saql) and SAQL_TEST_PG_CTL (a command
# that runs pg_ctl on this server: the tests stop and start it to check that rows survive).
set -euo pipefail
CMD=${1:-start}
PORT=${2:-15432}
DATA=/tmp/saql-postgres-$PORT
note() { echo "postgres-server: $*" >&2; }

install() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    note "installing postgresql"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql >&2
  fi
  BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

ctl() { as_owner "$BIN/pg_ctl -D $DATA -w -t 30 -l $DATA.log -o '-p $PORT -k $DATA.sock -c listen_addresses=127.0.0.1 -c fsync=on' $*"; }

start() {
  install
  if [ ! -f "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA" "$DATA.sock"
    mkdir -p "$DATA" "$DATA.sock"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA" "$DATA.sock"
    as_owner "$BIN/initdb -D $DATA -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  if ! as_owner "$BIN/pg_ctl -D $DATA status" >/dev/null 2>&1; then
    ctl start >/dev/null
    as_owner "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -d postgres -qAt -c \"SELECT 1 FROM pg_roles WHERE rolname = 'saql'\"" | grep -q 1 \
      || as_owner "$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -d postgres -q -c 'CREATE ROLE saql LOGIN SUPERUSER' -c 'CREATE DATABASE saql OWNER saql'"
    note "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DATA)"
  fi
  echo "export SAQL_TEST_PG_URL=postgresql://saql@127.0.0.1:$PORT/saql"
  echo "export SAQL_TEST_PG_CTL='$(cd "$(dirname "$0")" && pwd)/postgres-server.sh'"
  echo "export SAQL_TEST_PG_PORT=$PORT"
}

case "$CMD" in
  start) start ;;
  stop) install; as_owner "$BIN/pg_ctl -D $DATA status" >/dev/null 2>&1 && ctl stop -m fast >/dev/null; true ;;
  restart) install; ctl stop -m fast >/dev/null 2>&1 || true; ctl start >/dev/null ;;
  *) echo "usage: $0 start|stop|restart [PORT]" >&2; exit 2 ;;
esac
