#!/usr/bin/env bash
# Installs the independent Parquet readers (pyarrow, DuckDB; pinned, from PyPI) in .venv-parquet
# and prints that environment's python, for the tests, the benchmark and the demo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv-parquet
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
"$VENV/bin/python" -c 'import pyarrow, duckdb' 2>/dev/null || "$VENV/bin/pip" install -q pyarrow==26.0.1 duckdb==2.0.1 >&2
echo "$VENV/bin/python"
