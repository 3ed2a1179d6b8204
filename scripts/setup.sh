#!/usr/bin/env bash
# Installs what saql needs to build and test on Debian/Ubuntu: librdkafka, SQLite, JavaScriptCore, PCRE2, libpq, libmosquitto, libcurl, zstd and snappy headers.
# Idempotent and quiet when everything is present. Uses sudo when not root.
set -euo pipefail

missing=()
for pkg in librdkafka-dev libsqlite3-dev libjavascriptcoregtk-4.1-dev libpcre2-dev libpq-dev libmosquitto-dev libcurl4-openssl-dev libzstd-dev libsnappy-dev zlib1g-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >&2
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or later is needed)" >&2; exit 1; }
python3 "$(dirname "$0")/make_devices_db.py"
