#!/usr/bin/env python3
"""Deterministic sample telemetry for queries/iot-telemetry.saql (stdlib only).

Twelve devices report in turn for two hours, one event per second overall. Device dev-0007 starts
to fail in the second hour (vibration mean 56, standard deviation about 14: CRITICAL), dev-0003
runs rough all along (WARNING), and about one event in 200 carries a temperature spike of +25..40 C.

    python3 scripts/gen_sample_data.py > queries/data/telemetry.jsonl
"""
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone

TYPES = ["thermostat", "pump", "compressor", "turbine", "sensor-hub"]


def main():
    rng = random.Random(20240101)
    devices = [f"dev-{i:04d}" for i in range(1, 13)]
    base_temp = {d: rng.uniform(30, 60) for d in devices}
    base_pres = {d: rng.uniform(980, 1020) for d in devices}
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    out = sys.stdout
    for i in range(7200):
        t = start + timedelta(seconds=i)
        d = devices[i % len(devices)]
        temp = base_temp[d] + 1.5 * math.sin(i / 600) + rng.gauss(0, 0.4)
        if rng.random() < 0.005:
            temp += rng.uniform(25, 40)
        if d == "dev-0007" and i >= 3600:
            vib = abs(rng.gauss(56, 14))
        elif d == "dev-0003":
            vib = abs(rng.gauss(44, 7))
        else:
            vib = abs(rng.gauss(25, 4))
        event = {
            "DeviceId": d,
            "DeviceType": TYPES[devices.index(d) % len(TYPES)],
            "EventEnqueuedUtcTime": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "Temperature": round(temp, 2),
            "Pressure": round(base_pres[d] + rng.gauss(0, 2), 2),
            "Vibration": round(vib, 2),
        }
        out.write(json.dumps(event, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
