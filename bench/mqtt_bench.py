#!/usr/bin/env python3
"""MQTT throughput of saql on a loopback Mosquitto, beside Mosquitto's own
ceiling measured with its own clients in the same run.

  bench/mqtt_bench.py SAQL PORT [MESSAGES]

* in:  MESSAGES QoS 1 messages published by mosquitto_pub; saql subscribes and writes each to a
       file. Peer: mosquitto_sub receiving the same messages.
* out: saql reads MESSAGES events from a file and publishes each (QoS 1, acknowledged).
       Peer: mosquitto_pub publishing the same lines, counted by a subscriber.
Latency is bench/mqtt_latency.py's: mosquitto_pub's line mode queues paced lines for seconds by
itself, so it publishes through libmosquitto directly.
"""
import os, subprocess, sys, tempfile, time

SAQL, PORT = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
ENV = dict(os.environ, SWIFT_BACKTRACE="enable=no")


def lines(n, start=0):
    return "".join('{"DeviceId":"dev-%d","Temperature":%d,"Seq":%d}\n' % (i % 1000, 60 + i % 45, i) for i in range(start, start + n))


def sub(topic, count):
    args = ["mosquitto_sub", "-h", "127.0.0.1", "-p", PORT, "-q", "1", "-t", topic, "-C", str(count), "-W", "300"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def pub(topic):
    return subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", PORT, "-q", "1", "-t", topic, "-l"],
                            stdin=subprocess.PIPE, text=True)


def wait_lines(path, n, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, "rb") as f:
                if f.read().count(b"\n") >= n:
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    return False


def job(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    d = tempfile.mkdtemp(prefix="saql-mqtt-bench-")
    payload = lines(N)
    with open(os.path.join(d, "events.jsonl"), "w") as f:
        f.write(payload)
    run = str(os.getpid())
    url = "mqtt://127.0.0.1:" + PORT
    results = []

    # in: saql as the subscriber.
    j = job(d, "in.saql", f"""CREATE INPUT T WITH (connector = 'mqtt', url = '{url}', topic = 'b{run}/in', client_id = 'bench-in-{run}');
CREATE OUTPUT O WITH (connector = 'file', path = 'in.jsonl');
SELECT DeviceId, Temperature, Seq INTO O FROM T""")
    p = subprocess.Popen([SAQL, "run", j, "--quiet"], env=ENV)
    time.sleep(1.0)
    t0 = time.time()
    publisher = pub(f"b{run}/in")
    publisher.stdin.write(payload)
    publisher.stdin.flush()
    ok = wait_lines(os.path.join(d, "in.jsonl"), N)
    saql_in = time.time() - t0
    p.terminate(); p.wait(); publisher.stdin.close(); publisher.wait()
    assert ok, "saql did not receive every message"
    # peer: mosquitto_sub as the subscriber.
    s = sub(f"b{run}/peer-in", N)
    time.sleep(0.5)
    t0 = time.time()
    publisher = pub(f"b{run}/peer-in")
    publisher.stdin.write(payload)
    publisher.stdin.flush()
    got = s.stdout.read().count("\n")
    peer_in = time.time() - t0
    s.wait(); publisher.stdin.close(); publisher.wait()
    assert got == N, f"mosquitto_sub got {got}"
    results.append(("in (QoS 1)", N / saql_in, N / peer_in))

    # out: saql as the publisher, every message acknowledged before it exits.
    j = job(d, "out.saql", f"""CREATE INPUT T WITH (connector = 'file', path = 'events.jsonl');
CREATE OUTPUT O WITH (connector = 'mqtt', url = '{url}', topic = 'b{run}/out', client_id = 'bench-out-{run}');
SELECT DeviceId, Temperature, Seq INTO O FROM T""")
    s = sub(f"b{run}/out", N)
    time.sleep(0.5)
    t0 = time.time()
    subprocess.run([SAQL, "run", j, "--quiet"], env=ENV, check=True)
    got = s.stdout.read().count("\n")
    saql_out = time.time() - t0
    s.wait()
    assert got == N, f"subscriber got {got} of saql's messages"
    s = sub(f"b{run}/peer-out", N)
    time.sleep(0.5)
    t0 = time.time()
    publisher = pub(f"b{run}/peer-out")
    publisher.stdin.write(payload)
    publisher.stdin.flush()
    got = s.stdout.read().count("\n")
    peer_out = time.time() - t0
    s.wait(); publisher.stdin.close(); publisher.wait()
    assert got == N, f"subscriber got {got} of mosquitto_pub's messages"
    results.append(("out (QoS 1)", N / saql_out, N / peer_out))

    print(f"{'':14} {'saql msg/s':>12} {'mosquitto msg/s':>16}")
    for name, a, b in results:
        print(f"{name:14} {a:12.0f} {b:16.0f}")


main()
