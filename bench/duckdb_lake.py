#!/usr/bin/env python3
"""Times DuckDB (1 thread) on the JSON Lines lake and on the Parquet lake saql wrote of the same
events, with the same queries; checks both lakes give the same answers.

usage: duckdb_lake.py JSONL_LAKE PARQUET_LAKE RUNS
"""
import statistics
import sys
import time

import duckdb

jsonl, parquet, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.sql("SET threads = 1")
COLUMNS = ("{DeviceId: 'VARCHAR', DeviceType: 'VARCHAR', EventEnqueuedUtcTime: 'TIMESTAMP', "
           "Temperature: 'DOUBLE', Pressure: 'DOUBLE', Vibration: 'DOUBLE'}")
SOURCES = {
    "jsonl": f"read_json('{jsonl}/**/*.jsonl', columns = {COLUMNS}, format = 'newline_delimited')",
    "parquet": f"read_parquet('{parquet}/**/*.parquet')",
}
QUERIES = {
    "per-device stats": "SELECT DeviceId, count(*), avg(Temperature), max(Pressure) FROM {src} GROUP BY DeviceId ORDER BY DeviceId",
    "hot readings": "SELECT count(*), avg(Temperature) FROM {src} WHERE Temperature > 80",
    "one hour": ("SELECT DeviceType, count(*) FROM {src} WHERE EventEnqueuedUtcTime >= TIMESTAMP '2024-01-01 00:00:00' "
                 "AND EventEnqueuedUtcTime < TIMESTAMP '2024-01-01 01:00:00' GROUP BY DeviceType ORDER BY DeviceType"),
}
print(f"  {'query':18} {'JSON Lines s':>13} {'Parquet s':>10} {'speed-up':>9}")
ok = True
for name, q in QUERIES.items():
    times = {k: [] for k in SOURCES}
    answers = {}
    for _ in range(runs):
        for k, src in SOURCES.items():
            t = time.perf_counter()
            answers[k] = con.sql(q.format(src=src)).fetchall()
            times[k].append(time.perf_counter() - t)
    same = answers["jsonl"] == answers["parquet"]
    ok = ok and same
    j, p = statistics.median(times["jsonl"]), statistics.median(times["parquet"])
    print(f"  {name:18} {j:13.3f} {p:10.3f} {j / p:8.1f}x" + ("" if same else "  ANSWERS DIFFER"))
sys.exit(0 if ok else 1)
