#!/usr/bin/env python3
"""Added latency of a saql MQTT job on a loopback Mosquitto, beside the broker's own hop.

  bench/mqtt_latency.py SAQL PORT [RATE] [SECONDS]

One process publishes paced QoS 1 messages (RATE per second for SECONDS) carrying their send time,
and subscribes to where they come back, through libmosquitto itself (ctypes; Mosquitto's own C
client, threaded network loop), so no line-mode queueing of mosquitto_pub is measured.
* peer:  publish to a topic and receive it from the broker (one broker hop);
* saql:  publish to saql's input topic; saql (`SELECT * INTO Out FROM In`) publishes each row to
         its output topic, received here (two broker hops and saql).
Prints p50/p99/max of each and the difference of the medians (what saql adds).
"""
import ctypes, json, os, subprocess, sys, tempfile, threading, time

SAQL, PORT = sys.argv[1], int(sys.argv[2])
RATE = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
SECONDS = int(sys.argv[4]) if len(sys.argv) > 4 else 10
lib = ctypes.CDLL("libmosquitto.so.1")


class Message(ctypes.Structure):
    _fields_ = [("mid", ctypes.c_int), ("topic", ctypes.c_char_p), ("payload", ctypes.c_void_p),
                ("payloadlen", ctypes.c_int), ("qos", ctypes.c_int), ("retain", ctypes.c_bool)]


ON_MESSAGE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Message))
lib.mosquitto_new.restype = ctypes.c_void_p
lib.mosquitto_new.argtypes = [ctypes.c_char_p, ctypes.c_bool, ctypes.c_void_p]
for name, args in [("mosquitto_connect", [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
                   ("mosquitto_loop_start", [ctypes.c_void_p]), ("mosquitto_loop_stop", [ctypes.c_void_p, ctypes.c_bool]),
                   ("mosquitto_disconnect", [ctypes.c_void_p]),
                   ("mosquitto_subscribe", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]),
                   ("mosquitto_publish", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int, ctypes.c_bool]),
                   ("mosquitto_message_callback_set", [ctypes.c_void_p, ON_MESSAGE])]:
    getattr(lib, name).argtypes = args
lib.mosquitto_lib_init()


def client(name, on_message=None):
    c = lib.mosquitto_new(name.encode(), True, None)
    if on_message:
        lib.mosquitto_message_callback_set(c, on_message)
    assert lib.mosquitto_connect(c, b"127.0.0.1", PORT, 30) == 0, "cannot connect"
    lib.mosquitto_loop_start(c)
    return c


def measure(publish_topic, receive_topic, expected):
    latencies = []
    done = threading.Event()

    @ON_MESSAGE
    def received(_c, _u, message):
        now = time.monotonic_ns()
        m = message.contents
        body = json.loads(ctypes.string_at(m.payload, m.payloadlen))
        latencies.append((now - body["T"]) / 1e6)
        if len(latencies) >= expected:
            done.set()

    sub = client("bench-sub-%d" % os.getpid(), received)
    lib.mosquitto_subscribe(sub, None, receive_topic.encode(), 1)
    time.sleep(1)
    pub = client("bench-pub-%d" % os.getpid())
    start = time.monotonic()
    for i in range(expected):
        # Paced: message i leaves at start + i / RATE.
        delay = start + i / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        payload = json.dumps({"Seq": i, "T": time.monotonic_ns()}).encode()
        lib.mosquitto_publish(pub, None, publish_topic.encode(), len(payload), payload, 1, False)
    done.wait(60)
    for c in (pub, sub):
        lib.mosquitto_disconnect(c)
        lib.mosquitto_loop_stop(c, False)
    return sorted(latencies)


def summary(name, values, expected):
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print("| %s | %d of %d | %.2f ms | %.2f ms | %.2f ms |" % (name, len(values), expected, p(0.5), p(0.99), values[-1]))
    return p(0.5)


n = RATE * SECONDS
run = "lat-%d" % os.getpid()
print("%d QoS 1 messages at %d/s on loopback" % (n, RATE))
print("| path | received | p50 | p99 | max |")
print("|---|---:|---:|---:|---:|")
peer = measure(run + "/direct", run + "/direct", n)
peer50 = summary("peer: publish → broker → subscriber (libmosquitto)", peer, n)

work = tempfile.mkdtemp(prefix="saql-mqtt-latency-")
with open(os.path.join(work, "job.saql"), "w") as f:
    f.write("""CREATE INPUT In WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:%d', topic = '%s/in', client_id = '%s-in', clean_session = 'true');
CREATE OUTPUT Out WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:%d', topic = '%s/out', client_id = '%s-out');
SELECT Seq, T INTO Out FROM In
""" % (PORT, run, run, PORT, run, run))
job = subprocess.Popen([SAQL, "run", os.path.join(work, "job.saql"), "--quiet"], env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
time.sleep(2)
through = measure(run + "/in", run + "/out", n)
job.terminate()
job.wait()
saql50 = summary("saql: publish → broker → saql → broker → subscriber", through, n)
print()
print("added by saql and its second broker hop (difference of medians): %.2f ms" % (saql50 - peer50))
