#!/usr/bin/env python3
"""Times one benchmark query in DuckDB, engine only (the query's execution and fetch, not Python's
start or the module import), with a given number of threads.

usage: duckdb_time.py DATA.jsonl QUERY THREADS      QUERY: agg | filter | vib
Prints the seconds.
"""
import sys
import time

import duckdb

from duckdb_check import QUERIES, SRC

NAMES = {"agg": "Aggregates", "filter": "Hot", "vib": "Maintenance"}

data, query, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads TO {threads}")
sql = QUERIES[NAMES[query]][0].replace("{src}", SRC.replace("{path}", data))
t0 = time.perf_counter()
con.execute(sql).fetchall()
print(f"{time.perf_counter() - t0:.3f}")
