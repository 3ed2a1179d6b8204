"""Checks bench/queries/match.saql's rows against a direct computation of its semantics.

Per device in time order: a reading <= 60 followed by two readings > 60, the last less than 60 s
after the first, is one match reported at the second hot reading (saql reports a match as soon as
the pattern completes; see Grammar.md, MATCH_RECOGNIZE).

    python3 bench/match_check.py TELEMETRY.jsonl MATCHES.jsonl
"""
import collections
import datetime
import json
import sys

telemetry, matches = sys.argv[1], sys.argv[2]
devices = collections.defaultdict(list)
for line in open(telemetry):
    e = json.loads(line)
    t = datetime.datetime.fromisoformat(e["EventEnqueuedUtcTime"].replace("Z", "+00:00")).timestamp()
    devices[e["DeviceId"]].append((t, e["Temperature"]))
want = []
for events in devices.values():
    events.sort(key=lambda x: x[0])
    for (t0, a), (_, b), (t2, c) in zip(events, events[1:], events[2:]):
        if a <= 60 and b > 60 and c > 60 and t2 - t0 < 60:
            want.append((a, b, max(b, c), 2))
got = [json.loads(line) for line in open(matches)]
got = [(r["Before"], r["FirstHot"], r["Peak"], r["HotReadings"]) for r in got]
same = sorted(want) == sorted(got)
print(f"MATCH_RECOGNIZE rows: {len(got):,}, reference {len(want):,}: {'equal' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
