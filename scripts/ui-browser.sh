#!/usr/bin/env bash
# Installs what the live page's browser test needs: Debian's Chromium and its driver (apt), and
# Selenium (pinned, from PyPI) in .venv-ui; prints that environment's python.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >&2
fi
VENV=$ROOT/.venv-ui
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
"$VENV/bin/python" -c 'import selenium' 2>/dev/null || "$VENV/bin/pip" install -q selenium==4.27.1 >&2
echo "$VENV/bin/python"
