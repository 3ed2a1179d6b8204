#!/usr/bin/env python3
"""Checks saql's benchmark outputs against DuckDB on the same file, and times DuckDB (1 thread).

usage: duckdb_check.py DATA.jsonl OUTDIR      (OUTDIR holds saql's Aggregates/Hot/Maintenance.jsonl)
Prints one line per query: rows, mismatches, DuckDB seconds. Exits 1 on any mismatch.
"""
import json
import math
import sys
import time

import duckdb

COLUMNS = "{'DeviceId':'VARCHAR','DeviceType':'VARCHAR','EventEnqueuedUtcTime':'VARCHAR','Temperature':'DOUBLE','Pressure':'DOUBLE','Vibration':'DOUBLE'}"
# ASA windows are (start, end]: the end is the next boundary at or after the event time.
SRC = """(SELECT *, epoch_ms(CAST(EventEnqueuedUtcTime AS TIMESTAMP)) AS ms
          FROM read_json('{path}', format='newline_delimited', columns=COLUMNS))""".replace("COLUMNS", COLUMNS)

QUERIES = {
    "Aggregates": ("""SELECT DeviceId, DeviceType, CAST(ceil(ms / 60000.0) * 60000 AS BIGINT) AS w,
                        avg(Temperature), max(Temperature), min(Temperature), avg(Pressure), avg(Vibration), count(*)
                      FROM {src} GROUP BY ALL""",
                   lambda r: ((r["DeviceId"], r["DeviceType"], iso_ms(r["WindowEnd"])),
                              [r["AvgTemperature"], r["MaxTemperature"], r["MinTemperature"], r["AvgPressure"],
                               r["AvgVibration"], r["EventCount"]])),
    "Hot": ("""SELECT DeviceId, ms, EventEnqueuedUtcTime, Temperature FROM {src} WHERE Temperature > 80""",
            lambda r: ((r["DeviceId"], iso_ms(r["EventEnqueuedUtcTime"]), r["EventEnqueuedUtcTime"]), [r["Temperature"]])),
    "Maintenance": ("""SELECT * FROM (
                         SELECT DeviceId, CAST(ceil(ms / 3600000.0) * 3600000 AS BIGINT) AS w,
                                avg(Vibration) AS a, stddev_samp(Vibration) AS s
                         FROM {src} GROUP BY ALL) WHERE a > 40""",
                    lambda r: ((r["DeviceId"], iso_ms(r["WindowEnd"])), [r["AvgVibration"], r["StdDevVibration"]])),
}


def iso_ms(s):
    from datetime import datetime, timezone
    s = s.rstrip("Z")
    base, _, frac = s.partition(".")
    t = datetime.fromisoformat(base).replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 1000 + int((frac + "000")[:3] or 0)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def main():
    data, outdir = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute("SET threads TO 1")
    bad = 0
    for name, (sql, key) in QUERIES.items():
        try:
            rows = [json.loads(l) for l in open(f"{outdir}/{name}.jsonl")]
        except FileNotFoundError:
            continue
        t0 = time.perf_counter()
        result = con.execute(sql.replace("{src}", SRC.replace("{path}", data))).fetchall()
        elapsed = time.perf_counter() - t0
        if name == "Hot":
            expected = {(r[0], r[1], r[2]): [r[3]] for r in result}
        else:
            expected = {tuple(r[:-len(r) + (3 if name == "Aggregates" else 2)]): list(r[3 if name == "Aggregates" else 2:]) for r in result}
        got = {}
        for r in rows:
            k, v = key(r)
            got[k] = v
        mismatches = 0
        if name == "Hot":
            got = {(k[0], k[1], k[2]): v for k, v in got.items()}
        for k, v in expected.items():
            g = got.get(k)
            if g is None or len(g) != len(v) or not all(close(x, y) for x, y in zip(g, v)):
                mismatches += 1
                if mismatches <= 3:
                    print(f"  {name}: key {k}: saql {g} duckdb {v}", file=sys.stderr)
        mismatches += max(0, len(got) - len(expected))
        bad += mismatches
        print(f"{name}: saql {len(rows)} rows, duckdb {len(result)} rows, {mismatches} mismatches, duckdb(1 thread) {elapsed:.2f}s")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
