#!/usr/bin/env python3
"""Kafka → saql → Kafka on loopback (run by bench/kafka.sh, which starts the broker).

Measures, on the same broker: its own produce and consume rates (the ceiling), saql's end-to-end
throughput for the stateless filter and the 1-minute aggregate (process start to exit, reading the
topic to its end), and end-to-end latency (an event's produce to the consume of its output row).

usage: kafka_bench.py DATA.jsonl SAQL_BINARY
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime

from confluent_kafka import Consumer, Producer

BROKERS = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
TANSU = os.environ["TANSU_BIN"]
data, saql = sys.argv[1], sys.argv[2]


def topic(name, partitions):
    subprocess.run([TANSU, "topic", "create", "--broker", f"tcp://{BROKERS}", "--partitions", str(partitions), name],
                   check=True, stdout=subprocess.DEVNULL, timeout=20)
    return name


def consumer(group):
    return Consumer({"bootstrap.servers": BROKERS, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.partition.eof": True, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                     "fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10})


def read_all(name, keep=None):
    """(records, seconds after the group joined) for a whole topic; values go to `keep` if given."""
    c = consumer("read-" + uuid.uuid4().hex)
    c.subscribe([name])
    n, eof, start = 0, set(), None
    while True:
        msgs = c.consume(10000, 1.0)
        for m in msgs:
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof.add(m.partition())
                continue
            if start is None:
                start = time.time()
            n += 1
            if keep is not None:
                keep.append(m.value())
        assignment = c.assignment()
        if assignment and len(eof) == len(assignment) and not msgs:
            break
    c.close()
    return n, time.time() - (start or time.time())


run = uuid.uuid4().hex[:6]
lines = open(data, "rb").read().splitlines()
print(f"events: {len(lines):,} ({sum(map(len, lines)) / len(lines):.0f} bytes each)")
source = topic(f"bench-in-{run}", 4)
p = Producer({"bootstrap.servers": BROKERS, "linger.ms": 20, "queue.buffering.max.messages": 1000000})
events = [json.loads(l) for l in lines]
stamps = [int(datetime.fromisoformat(e["EventEnqueuedUtcTime"].replace("Z", "+00:00")).timestamp() * 1000) for e in events]
keys = [e["DeviceId"].encode() for e in events]
del events
t0 = time.time()
for line, ts, key in zip(lines, stamps, keys):
    while True:
        try:
            p.produce(source, line, key=key, timestamp=ts)
            break
        except BufferError:
            p.poll(0.05)
p.flush()
produce_s = time.time() - t0
n, consume_s = read_all(source)
print(f"broker ceiling: produce {len(lines) / produce_s:,.0f} events/s; consume {n / consume_s:,.0f} events/s ({n:,} read)")

outputs = {}
for query in ("filter", "agg", "agg-partitioned"):
    out = topic(f"bench-{query}-{run}", 4)
    env = dict(os.environ, KAFKA_BROKERS=BROKERS, IN_TOPIC=source, OUT_TOPIC=out, GROUP=f"{query}-{run}",
               STATE_TOPIC=f"bench-state-{run}")
    t0 = time.time()
    r = subprocess.run([saql, "run", f"bench/queries/kafka-{query}.saql", "--quiet"], env=env, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        sys.exit(f"saql failed: {r.stderr}")
    outputs[query] = []
    rows, _ = read_all(out, outputs[query])
    print(f"saql {query}: {len(lines) / wall:,.0f} events/s end to end ({wall:.1f} s including the ~3 s group join), {rows:,} rows out")
same = sorted(outputs["agg"]) == sorted(outputs["agg-partitioned"])
print(f"agg-partitioned (state_topic: a pipeline per partition) rows equal agg's: {same}")

# Latency: one partition, events at a steady rate, each carrying its send time.
lat_in, lat_out = topic(f"lat-in-{run}", 1), topic(f"lat-out-{run}", 1)
env = dict(os.environ, KAFKA_BROKERS=BROKERS, IN_TOPIC=lat_in, OUT_TOPIC=lat_out, GROUP=f"lat-{run}")
proc = subprocess.Popen([saql, "run", "bench/queries/kafka-latency.saql", "--quiet"], env=env)
latencies, done = [], threading.Event()


def listen():
    c = consumer("lat-reader-" + run)
    c.subscribe([lat_out])
    while not done.is_set():
        m = c.poll(0.1)  # one record at a time: consume(n) would wait for n records
        if m is not None and not m.error():
            latencies.append(time.time_ns() - json.loads(m.value())["SentNs"])
    c.close()


reader = threading.Thread(target=listen)
reader.start()
time.sleep(8)  # both group joins
lp = Producer({"bootstrap.servers": BROKERS, "linger.ms": 0})
seq = 0
end = time.time() + 15
while time.time() < end:
    for _ in range(10):
        lp.produce(lat_in, json.dumps({"Seq": seq, "SentNs": time.time_ns()}).encode())
        seq += 1
    lp.poll(0)
    time.sleep(0.01)
lp.flush()
time.sleep(3)
done.set()
reader.join()
proc.terminate()
proc.wait()
ms = sorted(l / 1e6 for l in latencies[len(latencies) // 10:])  # the first tenth is warm-up
if ms:
    print(f"latency (produce → output consumed, {len(latencies):,} of {seq:,} events, ~1,000/s): "
          f"p50 {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.1f} ms, max {ms[-1]:.1f} ms")
else:
    print("latency: no output rows arrived")
