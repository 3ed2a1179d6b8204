#!/usr/bin/env python3
"""The peer for the user-function benchmark: DuckDB (1 thread) runs the filter on the same file with
its built-in predicate and through a trivial Python UDF, called once per row (DuckDB's native
Python UDFs; its vectorized Arrow ones need pyarrow, which the benchmark does not install).

usage: duckdb_udf.py DATA.jsonl [RUNS]
Prints per variant: median seconds, rows, and the per-call cost over the built-in.
"""
import statistics
import sys
import time

import duckdb
from duckdb.sqltypes import DOUBLE

path = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
con = duckdb.connect()
con.execute("SET threads = 1")
con.create_function("id_py", lambda x: x, [DOUBLE], DOUBLE, type="native", null_handling="special")
COLUMNS = "{'DeviceId':'VARCHAR','EventEnqueuedUtcTime':'VARCHAR','Temperature':'DOUBLE'}"
SRC = f"read_json('{path}', format='newline_delimited', columns={COLUMNS})"
variants = {
    "built-in": f"SELECT DeviceId, EventEnqueuedUtcTime, Temperature FROM {SRC} WHERE Temperature > 80",
    "Python UDF": f"SELECT DeviceId, EventEnqueuedUtcTime, Temperature FROM {SRC} WHERE id_py(Temperature) > 80",
}
events = con.execute(f"SELECT count(*) FROM {SRC}").fetchone()[0]
times = {k: [] for k in variants}
rows = {}
for _ in range(runs):
    for name, q in variants.items():
        start = time.perf_counter()
        rows[name] = len(con.execute(q).fetchall())
        times[name].append(time.perf_counter() - start)
assert len(set(rows.values())) == 1, rows
base = statistics.median(times["built-in"])
print(f"DuckDB {duckdb.__version__}, 1 thread, {events} events ({rows['built-in']} rows out), median of {runs} alternating runs:")
for name in variants:
    t = statistics.median(times[name])
    extra = "" if name == "built-in" else f", {(t - base) / events * 1e9:.0f} ns per call over the built-in"
    print(f"  {name:<15} {t:.3f} s  {events / t:9.0f} events/s{extra}")
