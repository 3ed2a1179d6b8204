#!/usr/bin/env python3
"""Two event streams for the stream-join benchmark: readings and their acknowledgements.

readings: {"Id", "DeviceId", "Temperature", "Time"} at --rate events per second, in time order.
acks:     {"Id", "Status", "Time"}, one per reading, 0-15 s after it, sorted by time.
With `DATEDIFF(second, r, a) BETWEEN 0 AND 10`, about 70% of the readings find their ack.

  bench/gen_join.py --events 5000000 --seed 7 -o bench/data/join
  -> bench/data/join-readings.jsonl, bench/data/join-acks.jsonl
"""
import argparse
import datetime as dt

import numpy as np


def iso(ms):
    base = dt.datetime(2024, 1, 1)
    return [(base + dt.timedelta(milliseconds=int(m))).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (int(m) % 1000) for m in ms]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=5_000_000)
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("-o", "--output", default="bench/data/join")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    n = a.events
    times = np.floor(np.arange(n) * 1000.0 / a.rate).astype(np.int64)
    devices = rng.integers(0, a.devices, n)
    temps = rng.normal(70, 8, n)
    ack_times = times + rng.integers(0, 15_000, n)
    chunk = 500_000
    with open(a.output + "-readings.jsonl", "w") as f:
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            ts = iso(times[s:e])
            f.write("".join('{"Id":%d,"DeviceId":"dev-%04d","Temperature":%.2f,"Time":"%s"}\n' % (s + i, devices[s + i], temps[s + i], ts[i])
                            for i in range(e - s)))
    order = np.argsort(ack_times, kind="stable")
    statuses = ["ok", "retry", "fail"]
    with open(a.output + "-acks.jsonl", "w") as f:
        for s in range(0, len(order), chunk):
            part = order[s:s + chunk]
            ts = iso(ack_times[part])
            f.write("".join('{"Id":%d,"Status":"%s","Time":"%s"}\n' % (part[i], statuses[part[i] % 3], ts[i]) for i in range(len(part))))


if __name__ == "__main__":
    main()
