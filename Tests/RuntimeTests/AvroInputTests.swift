import Foundation
import Planner
import Runtime
import Testing

/// Avro files as inputs: files fastavro writes (every type, every codec), saql's own files read
/// back, corrupt blocks, and Event Hubs Capture files replayed as the JSON events they hold.
@Suite(.enabled(if: LakeReaders.enabled, "needs python3 with fastavro (scripts/lake-readers.sh)"))
struct AvroInputTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-avro-in-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func run(_ job: String, in dir: String, arguments: [String] = []) throws -> (Int32, String) {
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return try runSAQL(["run", dir + "/job.saql"] + arguments, includingErrors: true)
    }

    /// Runs Fixtures/make_avro.py (fastavro) with `arguments`.
    func makeAvro(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [LakeReaders.python, ExampleJobTests.root + "/Tests/RuntimeTests/Fixtures/make_avro.py"] + arguments
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "make_avro.py \(arguments)")
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func fastavroFilesOfEveryTypeAndCodecAreRead() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeAvro(["types", dir])
        // A file of another extension is read as Avro when the format says so.
        try FileManager.default.copyItem(atPath: dir + "/types-snappy.avro", toPath: dir + "/types-snappy.data")
        let (status, log) = try run("""
            CREATE INPUT N WITH (connector = 'file', path = 'types-null.avro');
            CREATE INPUT D WITH (connector = 'file', path = 'types-deflate.avro');
            CREATE INPUT S WITH (connector = 'file', path = 'types-snappy.data', format = 'avro');
            CREATE OUTPUT ON WITH (connector = 'file', path = 'null.jsonl');
            CREATE OUTPUT OD WITH (connector = 'file', path = 'deflate.jsonl');
            CREATE OUTPUT OS WITH (connector = 'file', path = 'snappy.jsonl');
            CREATE OUTPUT Typed WITH (connector = 'file', path = 'typed.jsonl');
            SELECT * INTO ON FROM N
            SELECT * INTO OD FROM D
            SELECT * INTO OS FROM S
            SELECT Id + Big AS Sum, DATEDIFF(millisecond, Day, AtMs) AS Ms, Pos.y AS Y, GetArrayLength(Tags) AS NTags,
                Attrs.k AS K, Price * 100 AS Cents, GetMetadataPropertyValue(N, 'BlobName') AS Blob INTO Typed FROM N
            """, in: dir)
        #expect(status == 0, "\(log)")
        #expect(log.contains("events in=9 out=12") && log.contains("malformed=0"), "\(log)")
        let expected = """
            {"Id":0,"Big":1099511627776,"Ratio":0.5,"Value":0.0,"Ok":true,"Name":"plain","Raw":"AP8A","Color":"RED","Code":"QUI=","Tags":["a","b0"],"Attrs":{"k":0},"Pos":null,"Day":"2024-03-01T00:00:00.0000000Z","AtMs":"2024-03-01T12:00:00.1230000Z","AtUs":"2024-03-01T12:00:00.1234560Z","Price":0.05,"Choice":null,"Home":{"x":0.0,"y":0.0}}
            {"Id":1,"Big":1099511627777,"Ratio":1.5,"Value":null,"Ok":false,"Name":"ünïcode \\"q\\"","Raw":"AP8B","Color":"GREEN","Code":"QkI=","Tags":["a","b1"],"Attrs":{"k":1},"Pos":{"x":1.5,"y":-2.0},"Day":"2024-03-02T00:00:00.0000000Z","AtMs":"2024-03-01T12:00:01.1230000Z","AtUs":"2024-03-01T12:00:01.1234560Z","Price":-12.34,"Choice":7,"Home":{"x":1.0,"y":0.0}}
            {"Id":2,"Big":1099511627778,"Ratio":2.5,"Value":2.5,"Ok":true,"Name":"","Raw":"AP8C","Color":"RED","Code":"Q0I=","Tags":[],"Attrs":{"k":2},"Pos":{"x":1.5,"y":-4.0},"Day":"2024-03-03T00:00:00.0000000Z","AtMs":"2024-03-01T12:00:02.1230000Z","AtUs":null,"Price":2.05,"Choice":"seven","Home":{"x":2.0,"y":0.0}}

            """
        for name in ["null", "deflate", "snappy"] {
            #expect(try read(dir + "/\(name).jsonl") == expected, "\(name)")
        }
        let typed = try read(dir + "/typed.jsonl").split(separator: "\n")
        #expect(typed.count == 3)
        #expect(typed.first?.hasPrefix(#"{"Sum":1099511627776,"Ms":43200123,"Y":null,"NTags":2,"K":0,"Cents":5.0,"Blob":""#) == true, "\(typed)")
        #expect(typed.dropFirst().first?.hasPrefix(#"{"Sum":1099511627778,"Ms":-43198877,"Y":-2.0,"NTags":2,"K":1,"Cents":-1234.0"#) == true, "\(typed)")
    }

    /// What saql writes as Avro, saql reads back as the same rows.
    @Test func saqlsOwnAvroFilesReadBackAsTheirRows() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointTests.telemetry(20_000).write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        let select = "SELECT DeviceId, Temperature, Vibration, Vibration > 50 AS High, CAST(EventTime AS datetime) AS EventTime"
        var (status, log) = try run("""
            CREATE INPUT T WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'direct.jsonl');
            CREATE OUTPUT Lake WITH (connector = 'file', path = 'lake/{date}/{time}/t.avro', time_format = 'HH-mm', compression = 'deflate');
            WITH E AS (SELECT * FROM T TIMESTAMP BY EventTime)
            \(select) INTO Json FROM E
            \(select) INTO Lake FROM E
            """, in: dir)
        #expect(status == 0, "\(log)")
        #expect(LakeReaders.files(under: dir + "/lake", suffix: ".avro").count > 5)
        (status, log) = try run("""
            CREATE INPUT Lake WITH (connector = 'file', path = 'lake', format = 'avro');
            CREATE OUTPUT Back WITH (connector = 'file', path = 'back.jsonl');
            SELECT * INTO Back FROM Lake
            """, in: dir)
        #expect(status == 0, "\(log)")
        #expect(log.contains("events in=20000"), "\(log)")
        // The lake is read in path order, which is time order: the same rows in the same order,
        // but for the file order within a partition: compare as sorted lines.
        let direct = try read(dir + "/direct.jsonl").split(separator: "\n").sorted()
        let back = try read(dir + "/back.jsonl").split(separator: "\n").sorted()
        #expect(direct.count == 20_000 && back == direct)
    }

    /// Flips bytes inside the second of a file's blocks: its records are counted as malformed and
    /// dead-lettered; the blocks around it are read.
    @Test func aCorruptBlockIsSkippedCountedAndDeadLettered() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeAvro(["types", dir])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/types-deflate.avro")))
        let sync = Array(bytes.suffix(16))
        let marks = (0...(bytes.count - 16)).filter { bytes[$0..<$0 + 16].elementsEqual(sync) }
        #expect(marks.count == 4, "header and three one-record blocks")
        for i in (marks[1] + 18)..<(marks[2] - 2) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/types-deflate.avro"))
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'types-deflate.avro');
            CREATE OUTPUT Dead WITH (connector = 'file', path = 'dead.jsonl', role = 'dead_letter');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM In
            """, in: dir)
        #expect(status == 0, "\(log)")
        #expect(log.contains("malformed=1"), "\(log)")
        #expect(try read(dir + "/out.jsonl") == "{\"Id\":0}\n{\"Id\":2}\n")
        let dead = try read(dir + "/dead.jsonl")
        #expect(dead.contains("the Avro block at byte") && dead.contains("(1 records)"), "\(dead)")
    }

    @Test func filesThatCannotBeReadStopTheRunWithAClearError() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeAvro(["types", dir])
        try "{\"a\":1}\n".write(toFile: dir + "/not.avro", atomically: true, encoding: .utf8)
        for (input, message) in [
            ("path = 'types-null.avro', format = 'eventhubs-capture'", "is not an Event Hubs Capture file: its records have no 'EnqueuedTimeUtc' field"),
            ("path = 'not.avro'", "is not an Avro Object Container File"),
            ("path = 'nothing/*.avro'", "no Avro files match"),
        ] {
            let (status, log) = try run("""
                CREATE INPUT In WITH (connector = 'file', \(input));
                CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
                SELECT * INTO Out FROM In
                """, in: dir)
            #expect(status != 0 && log.contains(message), "\(input): \(log)")
        }
    }

    /// EnqueuedTimeUtc in .NET's invariant form (12-hour clock, 12 AM is midnight, optional
    /// fractions) and in ISO 8601; a text that is no time makes its record malformed.
    @Test func enqueuedTimesInEveryFormCaptureWrites() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeAvro(["times", dir + "/c.avro", "12/31/2023 11:59:59 PM", "1/1/2024 12:00:00 AM", "1/1/2024 9:05:07 AM",
                      "13/1/2024 1:00:00 AM", "1/1/2024 12:30:05 PM", "1/1/2024 1:00:00.1234567 PM", "2024-01-01T14:00:00.5Z",
                      "1/1/2024 2:00:00 XM"])
        let (status, log) = try run("""
            CREATE INPUT C WITH (connector = 'file', path = 'c.avro', format = 'eventhubs-capture');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT n, System.Timestamp() AS t, GetMetadataPropertyValue(C, 'EventHub.Offset') AS o INTO Out FROM C
            """, in: dir)
        #expect(status == 0 && log.contains("malformed=2"), "\(log)")
        #expect(try read(dir + "/out.jsonl") == """
            {"n":0,"t":"2023-12-31T23:59:59.0000000Z","o":0}
            {"n":1,"t":"2024-01-01T00:00:00.0000000Z","o":1}
            {"n":2,"t":"2024-01-01T09:05:07.0000000Z","o":2}
            {"n":4,"t":"2024-01-01T12:30:05.0000000Z","o":4}
            {"n":5,"t":"2024-01-01T13:00:00.1234567Z","o":5}
            {"n":6,"t":"2024-01-01T14:00:00.5000000Z","o":6}

            """)
    }

    /// Telemetry at whole seconds (Capture's EnqueuedTimeUtc has no fractions), one device in ten
    /// per second, in time order, with the time each event was enqueued.
    static func enqueued(_ n: Int) -> String {
        var rng = SplitMix(seed: 11)
        let start = Timestamp(year: 2024, month: 1, day: 1).ticks
        return (0..<n).map { i in
            let t = Timestamp(ticks: start + Int64(i / 10) * Timestamp.ticksPerSecond)
            return #"{"DeviceId":"dev-\#(rng.next() % 40)","Temperature":\#(60 + Double(rng.next() % 4000) / 100),"EnqueuedAt":"\#(t.iso8601)"}"#
        }.joined(separator: "\n") + "\n"
    }

    static func captureJob(extra: String = "") -> String {
        """
        \(extra)
        CREATE INPUT Capture WITH (connector = 'file', path = 'capture', format = 'eventhubs-capture');
        CREATE INPUT Json WITH (connector = 'file', path = 'events.jsonl', arrival_time = 'EnqueuedAt');
        CREATE OUTPUT CaptureAgg WITH (connector = 'file', path = 'out/capture-agg.jsonl');
        CREATE OUTPUT JsonAgg WITH (connector = 'file', path = 'out/json-agg.jsonl');
        CREATE OUTPUT CaptureLag WITH (connector = 'file', path = 'out/capture-lag.jsonl');
        CREATE OUTPUT JsonLag WITH (connector = 'file', path = 'out/json-lag.jsonl');
        CREATE OUTPUT Meta WITH (connector = 'file', path = 'out/meta.jsonl');
        SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS t, System.Timestamp() AS w INTO CaptureAgg FROM Capture
            GROUP BY DeviceId, TumblingWindow(minute, 1)
        SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS t, System.Timestamp() AS w INTO JsonAgg FROM Json
            GROUP BY DeviceId, TumblingWindow(minute, 1)
        SELECT DeviceId, Temperature, LAG(Temperature) OVER (PARTITION BY DeviceId LIMIT DURATION(minute, 5)) AS previous,
            System.Timestamp() AS t INTO CaptureLag FROM Capture
        SELECT DeviceId, Temperature, LAG(Temperature) OVER (PARTITION BY DeviceId LIMIT DURATION(minute, 5)) AS previous,
            System.Timestamp() AS t INTO JsonLag FROM Json
        SELECT DeviceId, EnqueuedAt, GetMetadataPropertyValue(Capture, 'EventHub.EventEnqueuedUtcTime') AS enqueued,
            GetMetadataPropertyValue(Capture, '[User].[source]') AS source,
            GetMetadataPropertyValue(Capture, '[IoTHub].[ConnectionDeviceId]') AS device,
            GetMetadataPropertyValue(Capture, 'EventHub.PartitionKey') AS pk
            INTO Meta FROM Capture
        """
    }

    /// Capture files of three partitions (three codecs, bodies of one event or an array of two,
    /// empty files) replay to the outputs of the same events read as JSON Lines arriving at their
    /// enqueued times; the metadata reads the capture's fields.
    @Test func captureFilesReplayAsTheirJSONEvents() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.enqueued(30_000).write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        try makeAvro(["capture", dir + "/events.jsonl", dir + "/capture", "3"])
        let (status, log) = try run(Self.captureJob(), in: dir)
        #expect(status == 0, "\(log)")
        #expect(log.contains("events in=60000") && log.contains("malformed=0") && log.contains("late=0"), "\(log)")
        // Windows close in the same order; within one window end, rows come per device in either order.
        for name in ["agg", "lag"] {
            let capture = try read(dir + "/out/capture-\(name).jsonl").split(separator: "\n").sorted()
            let json = try read(dir + "/out/json-\(name).jsonl").split(separator: "\n").sorted()
            #expect(capture.count > 1000 && capture == json, "\(name): \(capture.count) rows from the capture, \(json.count) from JSON")
        }
        let meta = try read(dir + "/out/meta.jsonl").split(separator: "\n")
        #expect(meta.count == 30_000)
        // A body with two events has the system properties of the device that sent it, the first one's.
        var sender = 0
        for line in meta.prefix(700) {
            guard let r = JSONCursorProbe.fields(String(line)) else { Issue.record("not JSON: \(line)"); continue }
            #expect(r["enqueued"] == r["EnqueuedAt"] && r["device"] == r["pk"] && r["device"]?.hasPrefix("\"dev-") == true, "\(line)")
            #expect(r["source"]?.hasPrefix("\"plant-") == true, "\(line)")
            if r["device"] == r["DeviceId"] { sender += 1 }
        }
        #expect(sender > 560 && sender < 700, "\(sender) of 700 events were sent by their own device")
    }

    /// A capture job killed at random points and restarted from its checkpoint ends with the
    /// outputs of an uninterrupted run: the merge's position over several open files restores.
    @Test func killNineWhileReplayingCapturesLosesAndDoublesNothing() throws {
        let reference = try directory(), crashed = try directory()
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        let job = Self.captureJob(extra: "SET checkpoint_interval = '100ms';")
        for dir in [reference, crashed] {
            try Self.enqueued(150_000).write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
            try makeAvro(["capture", dir + "/events.jsonl", dir + "/capture", "3"])
            try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        }
        func start(_ dir: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CheckpointTests.saql)
            p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let whole = try start(reference)
        whole.waitUntilExit()
        #expect(whole.terminationStatus == 0)
        var rng = SplitMix(seed: 5)
        var kills = 0
        for _ in 0..<40 {
            let p = try start(crashed)
            let deadline = Date().addingTimeInterval(kills < 6 ? 0.4 + Double(rng.next() % 600) / 1000 : 600)
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                kills += 1
                continue
            }
            #expect(p.terminationStatus == 0)
            break
        }
        #expect(kills >= 6)
        for name in ["capture-agg", "capture-lag", "meta", "json-agg"] {
            let expected = try read(reference + "/out/\(name).jsonl"), actual = try read(crashed + "/out/\(name).jsonl")
            #expect(actual == expected, "\(name): \(actual.split(separator: "\n").count) rows after \(kills) kills, \(expected.split(separator: "\n").count) uninterrupted")
        }
    }
}

/// The top-level fields of a JSON object line as their JSON text, for comparing fields.
enum JSONCursorProbe {
    static func fields(_ line: String) -> [String: String]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        var out: [String: String] = [:]
        for (k, v) in object {
            let data = try? JSONSerialization.data(withJSONObject: [v], options: [.fragmentsAllowed])
            out[k] = data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) }
        }
        return out
    }
}
