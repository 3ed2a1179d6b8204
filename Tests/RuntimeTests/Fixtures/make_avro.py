"""Writes Avro files with fastavro, for saql to read.

usage: make_avro.py types DIR
         every Avro type saql maps, one file per codec (null, deflate, snappy): DIR/types-CODEC.avro
       make_avro.py capture EVENTS.jsonl DIR PARTITIONS [TIME_FIELD]
         Event Hubs Capture files of the events (JSON objects with an ISO time in TIME_FIELD,
         "EnqueuedAt" by default, in time order): the
         events are spread over PARTITIONS by DeviceId and written one file per partition and
         minute, as Capture names them (DIR/ns/hub/P/yyyy/MM/dd/HH/mm/ss.avro), with the Capture
         schema. Every seventh record's Body holds a JSON array of that event and the next one of
         its partition. Each partition also gets an empty file, as Capture writes for idle windows.
       make_avro.py times FILE TIME...
         one capture file whose records have these EnqueuedTimeUtc texts and bodies {"n": i}
"""
import collections, datetime, json, os, sys

import fastavro

CAPTURE_SCHEMA = {
    "type": "record", "name": "EventData", "namespace": "Microsoft.ServiceBus.Messaging",
    "fields": [
        {"name": "SequenceNumber", "type": "long"},
        {"name": "Offset", "type": "string"},
        {"name": "EnqueuedTimeUtc", "type": "string"},
        {"name": "SystemProperties", "type": {"type": "map", "values": ["long", "double", "string", "bytes"]}},
        {"name": "Properties", "type": {"type": "map", "values": ["long", "double", "string", "bytes", "null"]}},
        {"name": "Body", "type": ["null", "bytes"]},
    ],
}


def types(out):
    schema = {
        "type": "record", "name": "Reading", "namespace": "test",
        "fields": [
            {"name": "Id", "type": "int"},
            {"name": "Big", "type": "long"},
            {"name": "Ratio", "type": "float"},
            {"name": "Value", "type": ["null", "double"]},
            {"name": "Ok", "type": "boolean"},
            {"name": "Name", "type": "string"},
            {"name": "Raw", "type": "bytes"},
            {"name": "Color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
            {"name": "Code", "type": {"type": "fixed", "name": "Code", "size": 2}},
            {"name": "Tags", "type": {"type": "array", "items": "string"}},
            {"name": "Attrs", "type": {"type": "map", "values": "long"}},
            {"name": "Pos", "type": ["null", {"type": "record", "name": "Pos", "fields": [
                {"name": "x", "type": "double"}, {"name": "y", "type": "double"}]}]},
            {"name": "Day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "AtMs", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "AtUs", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
            {"name": "Price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
            {"name": "Choice", "type": ["null", "long", "string"]},
            {"name": "Home", "type": ["null", "Pos"]},
        ],
    }
    utc = datetime.timezone.utc
    rows = []
    for i in range(3):
        rows.append({
            "Id": i, "Big": 2**40 + i, "Ratio": 0.5 + i, "Value": None if i == 1 else i * 1.25, "Ok": i % 2 == 0,
            "Name": ["plain", "ünïcode \"q\"", ""][i], "Raw": bytes([0, 255, i]), "Color": ["RED", "GREEN", "RED"][i],
            "Code": bytes([65 + i, 66]), "Tags": [] if i == 2 else ["a", "b%d" % i], "Attrs": {"k": i},
            "Pos": None if i == 0 else {"x": 1.5, "y": -2.0 * i},
            "Day": datetime.date(2024, 3, 1 + i),
            "AtMs": datetime.datetime(2024, 3, 1, 12, 0, i, 123000, tzinfo=utc),
            "AtUs": None if i == 2 else datetime.datetime(2024, 3, 1, 12, 0, i, 123456, tzinfo=utc),
            "Price": __import__("decimal").Decimal("-12.34") if i == 1 else __import__("decimal").Decimal("%d.05" % i),
            "Choice": [None, 7, "seven"][i], "Home": {"x": float(i), "y": 0.0},
        })
    for codec in ["null", "deflate", "snappy"]:
        with open(os.path.join(out, "types-%s.avro" % codec), "wb") as f:
            # Small blocks: a file of several blocks.
            fastavro.writer(f, schema, rows, codec=codec, sync_interval=1)


def dotnet_time(t):
    """.NET's invariant DateTime.ToString(), as Capture writes EnqueuedTimeUtc: 9/29/2016 6:13:21 PM."""
    hour = t.hour % 12 or 12
    return "%d/%d/%d %d:%02d:%02d %s" % (t.month, t.day, t.year, hour, t.minute, t.second, "AM" if t.hour < 12 else "PM")


def capture(events_path, out, partitions, field):
    by_file = collections.defaultdict(list)
    for line in open(events_path, encoding="utf-8"):
        if not line.strip():
            continue
        e = json.loads(line)
        p = sum(e["DeviceId"].encode()) % partitions
        t = datetime.datetime.fromisoformat(e[field].replace("Z", "+00:00"))
        by_file[(p, t.replace(second=0, microsecond=0))].append((t, e))
    sequence = collections.Counter()
    for (p, minute), items in sorted(by_file.items()):
        records = []
        i = 0
        while i < len(items):
            t, e = items[i]
            batch = [e]
            if i % 7 == 6 and i + 1 < len(items) and items[i + 1][0] == t:
                batch.append(items[i + 1][1])
                i += 1
            i += 1
            body = json.dumps(batch[0] if len(batch) == 1 else batch).encode()
            seq = sequence[p]
            sequence[p] += 1
            records.append({
                "SequenceNumber": seq, "Offset": str(seq * 512), "EnqueuedTimeUtc": dotnet_time(t),
                "SystemProperties": {"x-opt-partition-key": e["DeviceId"], "iothub-connection-device-id": e["DeviceId"],
                                     "x-opt-enqueued-time": int(t.timestamp() * 1000)},
                "Properties": {"source": "plant-%d" % p, "seq": seq},
                "Body": body,
            })
        d = os.path.join(out, "ns", "hub", str(p), minute.strftime("%Y/%m/%d/%H/%M"))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "00.avro"), "wb") as f:
            fastavro.writer(f, CAPTURE_SCHEMA, records, codec=["deflate", "snappy", "null"][p % 3], sync_interval=4000)
    for p in range(partitions):
        d = os.path.join(out, "ns", "hub", str(p), "2000/01/01/00/00")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "00.avro"), "wb") as f:
            fastavro.writer(f, CAPTURE_SCHEMA, [], codec="deflate")


def times(path, texts):
    records = [{"SequenceNumber": i, "Offset": str(i), "EnqueuedTimeUtc": t, "SystemProperties": {}, "Properties": {},
                "Body": json.dumps({"n": i}).encode()} for i, t in enumerate(texts)]
    with open(path, "wb") as f:
        fastavro.writer(f, CAPTURE_SCHEMA, records, codec="null")


if __name__ == "__main__":
    if sys.argv[1] == "types":
        types(sys.argv[2])
    elif sys.argv[1] == "times":
        times(sys.argv[2], sys.argv[3:])
    else:
        capture(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "EnqueuedAt")
