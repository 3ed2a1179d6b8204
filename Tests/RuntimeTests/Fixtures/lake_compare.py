"""Reads Parquet files written by saql with two independent readers (pyarrow and DuckDB), or Avro
files with fastavro, and compares their rows with the same query's JSON Lines output, as multisets.

usage: lake_compare.py JSONL FILE... ; prints "ok ROWS" or the differences (exit 1).
       lake_compare.py --dump DIR ; prints every file under DIR (by path) and, for .parquet and
       .avro files, their rows in file order, one canonical JSON line each: a form blind to row
       groups and blocks, to compare.

Values are normalised so both sides can be compared: saql's JSON datetimes (7 fractional digits,
Z), text in that form (JSON cannot tell the two apart) and Parquet timestamps become nanoseconds
since 1970; Parquet's JSON text columns (records,
arrays) are parsed. DuckDB returns timestamps in microseconds, so its comparison is at that precision.
"""
import collections, datetime, json, re, sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{7})Z$")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def iso_nanos(s):
    m = ISO.match(s)
    if not m:
        return None
    y, mo, d, h, mi, se, frac = (int(g) for g in m.groups())
    delta = datetime.datetime(y, mo, d, h, mi, se, tzinfo=datetime.timezone.utc) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 10**9 + frac * 100


def norm_json(v, micros):
    if isinstance(v, str):
        n = iso_nanos(v)
        if n is not None:
            return ("ts", n // 1000 * 1000 if micros else n)
        return v
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return json.dumps(v, sort_keys=True)


def key(row):
    return tuple(sorted(row.items(), key=lambda kv: kv[0].lower()))


def from_jsonl(path, micros):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            rows.append(key({k: norm_json(v, micros) for k, v in r.items() if v is not None}))
    return collections.Counter(rows)


def norm_arrow(field, column):
    t = field.type
    if pa.types.is_timestamp(t):
        factor = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[t.unit]
        return [None if v is None else ("ts", v * factor) for v in column.cast(pa.int64()).to_pylist()]
    values = column.to_pylist()
    meta = field.metadata or {}
    is_json = str(t).startswith("extension<arrow.json") or meta.get(b"json") is not None
    out = []
    for v in values:
        if isinstance(v, str) and (is_json or (v[:1] in "[{" and looks_json(v))):
            out.append(json.dumps(json.loads(v), sort_keys=True))
        elif isinstance(v, str) and iso_nanos(v) is not None:
            out.append(("ts", iso_nanos(v)))
        elif isinstance(v, bool) or v is None or isinstance(v, str):
            out.append(v)
        elif isinstance(v, (int, float)):
            out.append(float(v))
        else:
            out.append(v)
    return out


def looks_json(v):
    try:
        json.loads(v)
        return True
    except ValueError:
        return False


def from_pyarrow(paths):
    rows = collections.Counter()
    for p in paths:
        t = pq.read_table(p)
        if len(set(n.lower() for n in t.schema.names)) != len(t.schema.names):
            print(f"{p}: repeated column names {t.schema.names}")
            sys.exit(1)
        cols = [norm_arrow(f, t.column(i).combine_chunks() if t.num_rows else pa.array([], f.type))
                for i, f in enumerate(t.schema)]
        for i in range(t.num_rows):
            rows[key({f.name: cols[j][i] for j, f in enumerate(t.schema) if cols[j][i] is not None})] += 1
    return rows


def from_duckdb(paths):
    rows = collections.Counter()
    for p in paths:
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{p}')")
        names = rel.columns
        for r in rel.fetchall():
            d = {}
            for n, v in zip(names, r):
                if v is None:
                    continue
                if isinstance(v, datetime.datetime):
                    delta = v - EPOCH
                    v = ("ts", (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000)
                elif isinstance(v, bool):
                    pass
                elif isinstance(v, (int, float)):
                    v = float(v)
                elif isinstance(v, str) and v[:1] in "[{" and looks_json(v):
                    v = json.dumps(json.loads(v), sort_keys=True)
                elif isinstance(v, str) and iso_nanos(v) is not None:
                    v = ("ts", iso_nanos(v) // 1000 * 1000)
                d[n] = v
            rows[key(d)] += 1
    return rows


def report(name, got, want):
    if got == want:
        return True
    print(f"{name}: {sum(got.values())} rows, expected {sum(want.values())}")
    for r in list((want - got).elements())[:5]:
        print("  missing:", r)
    for r in list((got - want).elements())[:5]:
        print("  unexpected:", r)
    return False


def norm_avro(v):
    if isinstance(v, datetime.datetime):
        delta = v - EPOCH
        return ("ts", (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000)
    if isinstance(v, str):
        if v[:1] in "[{" and looks_json(v):
            return json.dumps(json.loads(v), sort_keys=True)
        n = iso_nanos(v)
        return ("ts", n) if n is not None else v
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return v


def avro_rows(path):
    import fastavro
    with open(path, "rb") as f:
        return list(fastavro.reader(f))


def from_fastavro(paths):
    rows = collections.Counter()
    for p in paths:
        for r in avro_rows(p):
            rows[key({k: norm_avro(v) for k, v in r.items() if v is not None})] += 1
    return rows


def dump(root):
    import os
    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    for rel in files:
        print("== " + rel)
        if rel.endswith(".parquet"):
            t = pq.read_table(os.path.join(root, rel))
            for row in t.to_pylist():
                print(json.dumps(row, sort_keys=True, default=str))
        elif rel.endswith(".avro"):
            for row in avro_rows(os.path.join(root, rel)):
                print(json.dumps(row, sort_keys=True, default=str))


def main():
    if sys.argv[1] == "--dump":
        dump(sys.argv[2])
        return
    jsonl, paths = sys.argv[1], sys.argv[2:]
    if paths and all(p.endswith(".avro") for p in paths):
        ok = report("fastavro", from_fastavro(paths), from_jsonl(jsonl, micros=False))
        if ok:
            print(f"ok {sum(from_jsonl(jsonl, False).values())}")
        sys.exit(0 if ok else 1)
    ok = report("pyarrow", from_pyarrow(paths), from_jsonl(jsonl, micros=False))
    ok = report("duckdb", from_duckdb(paths), from_jsonl(jsonl, micros=True)) and ok
    if ok:
        print(f"ok {sum(from_jsonl(jsonl, False).values())}")
    sys.exit(0 if ok else 1)


main()
