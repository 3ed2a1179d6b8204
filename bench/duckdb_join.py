#!/usr/bin/env python3
"""Checks saql's stream-join benchmark output against DuckDB and times DuckDB (1 thread, batch).

usage: duckdb_join.py READINGS.jsonl ACKS.jsonl SAQL_OUTPUT.jsonl
DuckDB's date_diff, like DATEDIFF, counts unit boundaries crossed. Compares (Id, Status, LatencyMs)
row sets; exits 1 on any difference.
"""
import json
import sys
import time

import duckdb

readings, acks, output = sys.argv[1:4]
con = duckdb.connect()
con.execute("SET threads = 1")
start = time.time()
rows = con.execute(f"""
    SELECT r.Id, a.Status, date_diff('millisecond', r.t, a.t) AS LatencyMs
    FROM (SELECT Id, CAST(Time AS TIMESTAMP) AS t FROM read_json('{readings}', format='newline_delimited')) r
    JOIN (SELECT Id, Status, CAST(Time AS TIMESTAMP) AS t FROM read_json('{acks}', format='newline_delimited')) a
      ON r.Id = a.Id AND date_diff('second', r.t, a.t) BETWEEN 0 AND 10
""").fetchall()
seconds = time.time() - start
expected = sorted((int(i), s, int(l)) for i, s, l in rows)
got = []
with open(output) as f:
    for line in f:
        o = json.loads(line)
        got.append((o["Id"], o["Status"], o["LatencyMs"]))
got.sort()
same = got == expected
print(f"join: saql rows={len(got)} duckdb rows={len(expected)} {'equal' if same else 'DIFFERENT'}; duckdb 1 thread {seconds:.1f} s")
sys.exit(0 if same else 1)
