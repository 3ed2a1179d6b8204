#!/usr/bin/env bash
# Installs the independent readers of saql's lake files (pyarrow and DuckDB for Parquet; fastavro,
# with cramjam for snappy blocks, for Avro; pinned, from PyPI) in .venv-readers and prints that
# environment's python, for the tests, the benchmarks and the demo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv-readers
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
"$VENV/bin/python" -c 'import pyarrow, duckdb, fastavro, cramjam' 2>/dev/null \
  || "$VENV/bin/pip" install -q pyarrow==26.0.1 duckdb==2.0.1 fastavro==1.13.1 cramjam==2.11.0 >&2
echo "$VENV/bin/python"
