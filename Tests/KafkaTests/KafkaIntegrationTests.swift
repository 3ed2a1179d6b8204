import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// saql against a real Kafka-compatible broker on loopback (Tansu, through librdkafka 2.16).
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"), .serialized)
struct KafkaIntegrationTests {
    static let telemetry = (try? Broker.lines(Broker.root + "/queries/data/telemetry.jsonl")) ?? []

    /// queries/iot-telemetry-kafka.saql (telemetry from a topic, outputs to topics) writes the same
    /// rows as queries/iot-telemetry.saql on the same events from a file.
    @Test func iotJobOnKafkaMatchesTheFileRun() throws {
        let prefix = "iot-\(UUID().uuidString.prefix(8).lowercased())-"
        let outputs = ["device-aggregates": "aggregates.jsonl", "device-anomalies": "anomaly_alerts", "maintenance-alerts": "maintenance_status",
                       "device-commands": "commands.jsonl"]
        _ = try Broker.topic(prefix + "telemetry", partitions: 4, exactName: true)
        try Broker.produce(Self.telemetry, to: prefix + "telemetry", keyField: "DeviceId", timeField: "EventEnqueuedUtcTime")
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Broker.root + "/queries/data/telemetry.jsonl", toPath: dir + "/data/telemetry.jsonl")
        let db = try SQLiteDatabase(path: dir + "/data/devices.db", readOnly: false)
        try db.execute(try String(contentsOfFile: Broker.root + "/queries/data/devices.sql", encoding: .utf8))
        try Broker.run(try String(contentsOfFile: Broker.root + "/queries/iot-telemetry.saql", encoding: .utf8), directory: dir)

        let counters = try Broker.run(try String(contentsOfFile: Broker.root + "/queries/iot-telemetry-kafka.saql", encoding: .utf8),
                                      directory: dir, environment: [
                                          "KAFKA_BROKERS": try Broker.bootstrap(), "TOPIC_PREFIX": prefix, "SAQL_STOP": "end",
                                          "SAQL_GROUP": prefix + "group", "KAFKA_SESSION_TIMEOUT_MS": "6000"])
        #expect(counters.inputEvents["IoTHubInput"] == Self.telemetry.count)
        #expect(counters.outOfOrderAdjusted == 0 && counters.lateAdjusted == 0 && counters.outputErrors == 0)
        // The file run's SQLite tables, as JSON lines.
        let sink = try SQLiteDatabase(path: dir + "/out/iot.db", readOnly: true)
        func table(_ name: String) throws -> [String] { try sink.query("SELECT * FROM \(name)").map { Conversions.string(.record($0)) ?? "" } }
        for (topic, file) in outputs {
            let fromKafka = try normalized(try Broker.readAll(prefix + topic))
            let fromFile = try normalized(file.hasSuffix(".jsonl") ? try Broker.lines(dir + "/out/" + file) : try table(file))
            #expect(fromKafka == fromFile, "\(topic): \(fromKafka.count) rows from Kafka, \(fromFile.count) from the file run")
        }
        // The device-state topic's latest record per device (keyed: one partition each, in order) is
        // the SQLite upsert table.
        var latest: [String: String] = [:]
        for line in try Broker.readAll(prefix + "device-state") {
            latest[(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["DeviceId"] as? String ?? ""] = line
        }
        #expect(latest.count == 12)
        #expect(try normalized(Array(latest.values)) == normalized(try table("device_state")))
        #expect(try Broker.readAll(prefix + "device-commands").contains { $0.contains("dev-0007") })
        #expect(try Broker.readAll(prefix + "telemetry-archive").count == Self.telemetry.count)
    }

    /// The Kafka example runs exactly the file example's query.
    @Test func kafkaExampleRunsTheSameQuery() throws {
        func query(_ file: String) throws -> String {
            let text = try String(contentsOfFile: Broker.root + "/queries/" + file, encoding: .utf8)
            return String(text[(text.range(of: "-- Process incoming telemetry stream")?.lowerBound ?? text.startIndex)...])
        }
        #expect(try query("iot-telemetry-kafka.saql") == query("iot-telemetry.saql"))
    }

    /// Rows with `EventTime` as an instant: on Kafka the system column EventEnqueuedUtcTime (a datetime,
    /// the record timestamp) replaces the payload's text of the same instant, as ASA overwrites
    /// payload fields named like system columns.
    func normalized(_ lines: [String]) throws -> [String] {
        lines.map { line in
            var line = line
            for field in ["EventTime", "LastSeen"] {
                guard let t = line.range(of: "\"\(field)\":\"[^\"]*\"", options: .regularExpression) else { continue }
                let text = line[t].dropFirst(field.count + 4).dropLast()
                line = line.replacingCharacters(in: t, with: "\"\(field)\":\"\(Timestamp(parsing: String(text))?.iso8601 ?? "?")\"")
            }
            return line
        }.sorted()
    }

    /// Outputs land in Kafka topics (keyed, one JSON object per record) and read back intact; the
    /// system columns come from the records.
    @Test func outputsLandInKafka() throws {
        let input = try Broker.topic("in", partitions: 2), output = try Broker.topic("out", partitions: 2)
        let events = (0..<200).map { #"{"Id":\#($0),"Device":"d\#($0 % 5)","Time":"2024-01-01T00:00:\#(String(format: "%02d", $0 % 60)).000Z"}"# }
        try Broker.produce(events, to: input, keyField: "Device", timeField: "Time")
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Broker.run("""
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(output)', key = 'Device');
            SELECT Id, Device, PartitionId, EventEnqueuedUtcTime INTO Out FROM Events WHERE Id % 2 = 0
            """, directory: dir)
        let rows = try Broker.readAll(output).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(rows.count == 100)
        #expect(Set(rows.compactMap { $0["Id"] as? Int }) == Set(stride(from: 0, to: 200, by: 2)))
        #expect(rows.allSatisfy { ($0["PartitionId"] as? Int).map { (0..<2).contains($0) } ?? false })
        #expect(rows.allSatisfy { ($0["EventEnqueuedUtcTime"] as? String)?.hasPrefix("2024-01-01T00:00:") ?? false })
    }

    /// `GetMetadataPropertyValue` reads a record's key, headers, offset and topic.
    @Test func metadataFunctionReadsKeyAndHeaders() throws {
        let input = try Broker.topic("meta", partitions: 1)
        let producer = try KafkaProducer(config: KafkaConfig([("bootstrap.servers", try Broker.bootstrap())]))
        for i in 0..<3 {
            let value = Array(#"{"Id":\#(i)}"#.utf8), key = Array("dev-\(i)".utf8)
            try value.withUnsafeBytes { v in
                try key.withUnsafeBytes { k in
                    try producer.send(topic: input, value: v, key: i == 2 ? nil : k, timestampMs: 1_704_067_200_000 + Int64(i),
                                      headers: i == 1 ? [] : [("trace", "t\(i)"), ("source", "gw")])
                }
            }
        }
        try producer.flush(timeoutMs: 30_000)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Broker.run("""
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id, GetMetadataPropertyValue(Events, '[EventHub].[PartitionKey]') AS PartitionKey,
                   GetMetadataPropertyValue(Events, '[User].[trace]') AS Trace,
                   GetMetadataPropertyValue(Events, 'User') AS Headers,
                   GetMetadataPropertyValue(Events, 'Kafka.Offset') AS Off,
                   GetMetadataPropertyValue(Events, '[Kafka].[Topic]') AS Topic,
                   GetMetadataPropertyValue(Events, '[Kafka].[TimestampType]') AS TsType,
                   GetMetadataPropertyValue(Events, '[EventHub].[EventEnqueuedUtcTime]') AS Enqueued
            INTO Out FROM Events
            """, directory: dir)
        let rows = try Broker.lines(dir + "/out.jsonl")
        #expect(rows == [
            #"{"Id":0,"PartitionKey":"dev-0","Trace":"t0","Headers":{"trace":"t0","source":"gw"},"Off":0,"Topic":"\#(input)","TsType":"CreateTime","Enqueued":"2024-01-01T00:00:00.0000000Z"}"#,
            #"{"Id":1,"PartitionKey":"dev-1","Trace":null,"Headers":{},"Off":1,"Topic":"\#(input)","TsType":"CreateTime","Enqueued":"2024-01-01T00:00:00.0010000Z"}"#,
            #"{"Id":2,"PartitionKey":null,"Trace":"t2","Headers":{"trace":"t2","source":"gw"},"Off":2,"Topic":"\#(input)","TsType":"CreateTime","Enqueued":"2024-01-01T00:00:00.0020000Z"}"#,
        ])
    }

    /// IoT Hub's system properties, as its Event Hubs-compatible endpoint delivers them over Kafka
    /// (record headers), through ASA's paths; EventId is stable for the same record.
    @Test func iotHubPropertiesComeFromTheirHeaders() throws {
        let input = try Broker.topic("iothub", partitions: 1)
        let producer = try KafkaProducer(config: KafkaConfig([("bootstrap.servers", try Broker.bootstrap())]))
        let headers = [("iothub-connection-device-id", "pump-7"), ("iothub-connection-auth-method", #"{"scope":"device"}"#),
                       ("iothub-enqueuedtime", "2024-01-01T00:00:05.123Z"), ("iothub-message-source", "Telemetry"),
                       ("correlation-id", "c-1"), ("message-id", "m-1"), ("x-opt-publisher", "gw")]
        for i in 0..<2 {
            let value = Array(#"{"Id":\#(i)}"#.utf8)
            try value.withUnsafeBytes { v in
                try producer.send(topic: input, value: v, key: nil, timestampMs: 1_704_067_200_000, headers: i == 0 ? headers : [])
            }
        }
        try producer.flush(timeoutMs: 30_000)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)-RUN',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'RUN.jsonl');
            SELECT Id, GetMetadataPropertyValue(Events, 'IoTHub.ConnectionDeviceId') AS Device,
                   GetMetadataPropertyValue(Events, '[EventHub].[IoTConnectionDeviceId]') AS Device2,
                   GetMetadataPropertyValue(Events, 'IoTHub.EnqueuedTime') AS Enq,
                   GetMetadataPropertyValue(Events, '[IoTHub].[MessageSource]') AS Src,
                   GetMetadataPropertyValue(Events, 'IoTHub.CorrelationId') AS Corr,
                   GetMetadataPropertyValue(Events, 'EventHub.Publisher') AS Pub,
                   GetMetadataPropertyValue(Events, 'IoTHub') AS Hub,
                   GetMetadataPropertyValue(Events, 'EventId') AS EventId,
                   GetMetadataPropertyValue(Events, 'BlobName') AS Blob
            INTO Out FROM Events
            """
        try Broker.run(job.replacingOccurrences(of: "RUN", with: "a"), directory: dir)
        try Broker.run(job.replacingOccurrences(of: "RUN", with: "b"), directory: dir)
        let rows = try Broker.lines(dir + "/a.jsonl").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        try #require(rows.count == 2)
        #expect(rows[0]["Device"] as? String == "pump-7" && rows[0]["Device2"] as? String == "pump-7")
        #expect(rows[0]["Enq"] as? String == "2024-01-01T00:00:05.1230000Z")
        #expect(rows[0]["Src"] as? String == "Telemetry" && rows[0]["Corr"] as? String == "c-1" && rows[0]["Pub"] as? String == "gw")
        let hub = rows[0]["Hub"] as? [String: Any] ?? [:]
        #expect(hub["ConnectionDeviceId"] as? String == "pump-7" && hub["MessageId"] as? String == "m-1")
        #expect(hub["AuthMethod"] as? String == #"{"scope":"device"}"#)
        #expect(rows[0]["Blob"] is NSNull)
        for key in ["Device", "Device2", "Enq", "Src", "Corr", "Pub"] { #expect(rows[1][key] is NSNull, "\(key)") }
        let ids = rows.compactMap { $0["EventId"] as? String }
        #expect(ids.count == 2 && ids[0] != ids[1] && ids.allSatisfy { $0.count == 36 })
        // The same records read again (another group) have the same identifiers.
        #expect(try Broker.lines(dir + "/b.jsonl").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
                    .compactMap { $0["EventId"] as? String } == ids)
    }

    /// Transactional outputs: the rows and the input offsets commit together, so a second run
    /// continues exactly where the first's last transaction ended.
    @Test func transactionsCommitOutputsWithOffsets() throws {
        let input = try Broker.topic("txin", partitions: 2), output = try Broker.topic("txout", partitions: 2)
        let events = (0..<300).map { #"{"Id":\#($0),"K":"k\#($0 % 7)","Time":"2024-01-01T00:00:00.000Z"}"# }
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(output)', key = 'K',
                transactional_id = 'saql-\(output)');
            SELECT Id, K INTO Out FROM Events WHERE Id % 2 = 0
            """
        try Broker.produce(Array(events[..<100]), to: input, keyField: "K", timeField: "Time")
        try Broker.run(job, directory: dir)
        #expect(try Broker.readAll(output).count == 50)
        try Broker.produce(Array(events[100...]), to: input, keyField: "K", timeField: "Time")
        try Broker.run(job, directory: dir)
        let ids = try Broker.readAll(output).compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["Id"] as? Int }
        #expect(ids.sorted() == Array(stride(from: 0, to: 300, by: 2)))
    }

    /// A second producer with the same transactional id fences a running job: it stops with an
    /// error instead of writing beside its replacement.
    @Test func aFencedJobStops() throws {
        let input = try Broker.topic("fencein", partitions: 1), output = try Broker.topic("fenceout", partitions: 1)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(output)',
                transactional_id = 'fence-\(output)');
            SELECT Id INTO Out FROM Events
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/job.saql"]
        let stderr = Pipe()
        p.standardError = stderr
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let first = (0..<20).map { #"{"Id":\#($0),"Time":"2024-01-01T00:00:00.000Z"}"# }
        try Broker.produce(first, to: input, keyField: "Id", timeField: "Time")
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while seen < 20 && Date() < deadline {
            seen = try Broker.readAll(output).count
            if seen < 20 { Thread.sleep(forTimeInterval: 0.5) }
        }
        #expect(seen == 20, "the job's committed transactions are visible")
        let zombieKiller = try KafkaTransaction(options: KafkaOutputOptions(brokers: try Broker.bootstrap(), topic: output, key: nil,
                                                                             format: .json, properties: [:],
                                                                             transactionalId: "fence-\(output)"))
        try Broker.produce((20..<40).map { #"{"Id":\#($0),"Time":"2024-01-01T00:00:00.000Z"}"# }, to: input, keyField: "Id", timeField: "Time")
        let stop = Date().addingTimeInterval(60)
        while p.isRunning && Date() < stop { Thread.sleep(forTimeInterval: 0.2) }
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!p.isRunning && p.terminationStatus != 0, "\(log.prefix(2000))")
        #expect(log.contains("fence"), "\(log.prefix(2000))")
        zombieKiller.abort()
    }

    /// Kafka offsets live in checkpoints: a stateful job killed with `kill -9` and restarted from its
    /// checkpoint (each time starting at the checkpoint's offsets, whatever the group committed)
    /// ends with the rows of an uninterrupted run.
    ///
    /// One partition: with several, a restart while the killed member's session still holds some
    /// partitions reads the others first, and the held ones arrive late when they are reassigned
    /// (windows then differ; a CI run showed it). That case is open under issue 16 (bounded runs
    /// and dead members); this test keeps to what it checks, offsets restored from checkpoints.
    @Test func killNineResumesFromTheCheckpointsOffsets() throws {
        let topic = try Broker.topic("cpk", partitions: 1)
        let t0 = Timestamp(year: 2024, month: 1, day: 1).ticks
        let events = (0..<60_000).map { i in
            #"{"K":"k\#(i % 50)","V":\#(i % 7),"Time":"\#(Timestamp(ticks: t0 + Int64(i) * Timestamp.ticksPerSecond / 100).iso8601)"}"#
        }
        try Broker.produce(events, to: topic, keyField: "K", timeField: "Time")
        func job(_ group: String) -> String {
            """
            SET checkpoint_interval = '200ms';
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = '\(group)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT K, COUNT(*) AS n, SUM(V) AS total, System.Timestamp() AS WindowEnd
            INTO Out FROM Events TIMESTAMP BY Time GROUP BY K, TumblingWindow(second, 10)
            """
        }
        let reference = try Broker.temporaryDirectory(), crashed = try Broker.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        try job("ref-\(topic)").write(toFile: reference + "/job.saql", atomically: true, encoding: .utf8)
        try job("crash-\(topic)").write(toFile: crashed + "/job.saql", atomically: true, encoding: .utf8)
        func start(_ dir: String, log: String = "log") throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
            p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state", "--batch-size", "64"]
            _ = FileManager.default.createFile(atPath: dir + "/" + log, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: dir + "/" + log)
            try p.run()
            return p
        }
        let whole = try start(reference)
        whole.waitUntilExit()
        #expect(whole.terminationStatus == 0)
        var kills = 0, resumed = 0
        for attempt in 0..<8 {
            let p = try start(crashed, log: "log\(attempt)")
            defer {
                if (try? String(contentsOfFile: crashed + "/log\(attempt)", encoding: .utf8))?.contains("resuming") == true { resumed += 1 }
            }
            if kills < 3 {
                // Kill once the run has written some rows past a checkpoint: a restarted run first
                // reports that it resumes (and cuts the file back), then grows the file again. On a
                // loaded machine a debug build can take longer than the kill delay to get there.
                let deadline = Date().addingTimeInterval(60)
                var grown: Date?
                var baseline: Int?
                while p.isRunning && Date() < deadline {
                    let size = (try? FileManager.default.attributesOfItem(atPath: crashed + "/out.jsonl")[.size] as? Int) ?? 0
                    if baseline == nil, attempt == 0
                        || (try? String(contentsOfFile: crashed + "/log\(attempt)", encoding: .utf8))?.contains("resuming") == true {
                        baseline = attempt == 0 ? 0 : size
                    }
                    if let b = baseline, size > b && grown == nil { grown = Date() }
                    if let g = grown, Date().timeIntervalSince(g) > 0.3 { break }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                if p.isRunning {
                    kill(p.processIdentifier, SIGKILL)
                    p.waitUntilExit()
                    kills += 1
                    continue
                }
            }
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            break
        }
        #expect(kills >= 1 && resumed >= kills, "kills: \(kills), resumed: \(resumed)")
        let want = try Broker.lines(reference + "/out.jsonl").sorted(), got = try Broker.lines(crashed + "/out.jsonl").sorted()
        #expect(want.count > 2_900)
        #expect(got == want, "\(got.count) rows after \(kills) kills, \(want.count) uninterrupted")
    }

    /// A second run with the same group starts where the first committed: nothing lost, nothing repeated.
    @Test func restartResumesFromCommittedOffsets() throws {
        let input = try Broker.topic("resume", partitions: 3)
        let events = (0..<300).map { #"{"Id":\#($0),"K":"k\#($0 % 7)","Time":"2024-01-01T00:00:00.000Z"}"# }
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM Events
            """
        try Broker.produce(Array(events[..<120]), to: input, keyField: "K", timeField: "Time")
        try Broker.run(job, directory: dir)
        let first = try Broker.lines(dir + "/out.jsonl")
        try Broker.produce(Array(events[120...]), to: input, keyField: "K", timeField: "Time")
        try Broker.run(job, directory: dir)
        let second = try Broker.lines(dir + "/out.jsonl")
        #expect(first.count == 120)
        #expect(second.count == 180)
        let ids = (first + second).compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["Id"] as? Int }
        #expect(ids.sorted() == Array(0..<300))
    }

    /// Two `saql run` processes in one consumer group split a 4-partition topic; a query grouped by the
    /// partitioning key gives, across both, exactly the rows of one process.
    @Test func twoProcessesInOneGroupSplitTheWork() throws {
        let topic = try Broker.topic("scale", partitions: 4)
        try Broker.produce(Self.telemetry, to: topic, keyField: "DeviceId", timeField: "EventEnqueuedUtcTime")
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The pair keeps its state in a state topic: when the second member joins after the first has
        // begun (Tansu's join window is not a promise), the partitions that move carry their windows.
        _ = try Broker.topic("\(topic)-state", partitions: 1, exactName: true)
        func job(_ group: String, stateTopic: String? = nil) -> String {
            """
            CREATE INPUT Telemetry WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = '\(group)',
                stop = 'end', \(stateTopic.map { "state_topic = '\($0)', " } ?? "")\(Broker.jobProperties()));
            SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS AvgTemp, System.Timestamp() AS WindowEnd
            FROM Telemetry TIMESTAMP BY EventEnqueuedUtcTime PARTITION BY PartitionId
            GROUP BY DeviceId, TumblingWindow(minute, 10)
            """
        }
        try job("single-\(topic)").write(toFile: dir + "/single.saql", atomically: true, encoding: .utf8)
        try job("pair-\(topic)", stateTopic: "\(topic)-state").write(toFile: dir + "/pair.saql", atomically: true, encoding: .utf8)
        let saql = Broker.root + "/.build/debug/saql"
        func start(_ jobFile: String, _ out: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: saql)
            p.arguments = ["run", jobFile, "--output", "output=\(out)", "--quiet"]
            try p.run()
            return p
        }
        let single = try start(dir + "/single.saql", dir + "/single.jsonl")
        single.waitUntilExit()
        let a = try start(dir + "/pair.saql", dir + "/a.jsonl"), b = try start(dir + "/pair.saql", dir + "/b.jsonl")
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(single.terminationStatus == 0 && a.terminationStatus == 0 && b.terminationStatus == 0)
        let one = try Broker.lines(dir + "/single.jsonl").sorted()
        let partA = try Broker.lines(dir + "/a.jsonl"), partB = try Broker.lines(dir + "/b.jsonl")
        #expect(!partA.isEmpty && !partB.isEmpty, "both processes should own partitions")
        #expect((partA + partB).sorted() == one)
        #expect(one.count > 100)
    }
}

/// A broker killed and restarted under a running job: saql reports the outage, reconnects by
/// itself and processes what arrives afterwards, then stops cleanly on SIGTERM.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"))
struct BrokerRestartTests {
    /// A broker of the test's own (memory storage: a restart loses every topic and offset).
    final class PrivateBroker {
        let port = Int.random(in: 30_000..<40_000)
        var process: Process?
        var address: String { "127.0.0.1:\(port)" }

        func start() throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["TANSU_BIN"] ?? "")
            p.arguments = ["broker", "--listener-url", "tcp://\(address)", "--advertised-listener-url", "tcp://\(address)",
                           "--storage-engine", "memory://tansu/"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            process = p
            Thread.sleep(forTimeInterval: 0.5)
        }

        func kill() {
            guard let p = process else { return }
            Glibc.kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            process = nil
        }

        func topic(_ name: String, partitions: Int) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["TANSU_BIN"] ?? "")
            p.arguments = ["topic", "create", "--broker", "tcp://\(address)", "--partitions", "\(partitions)", name]
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
        }

        func produce(_ ids: Range<Int>, topic: String) throws {
            let producer = try KafkaProducer(config: KafkaConfig([("bootstrap.servers", address)]))
            for id in ids {
                try Array(#"{"Id":\#(id)}"#.utf8).withUnsafeBytes { try producer.send(topic: topic, value: $0, key: nil) }
            }
            try producer.flush(timeoutMs: 30_000)
        }
    }

    @Test func survivesABrokerRestart() throws {
        let broker = PrivateBroker()
        try broker.start()
        defer { broker.kill() }
        try broker.topic("events", partitions: 2)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '\(broker.address)', topic = 'events', group_id = 'restart',
                \(Broker.jobProperties()), properties.reconnect.backoff.max.ms = '1000');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM Events
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/job.saql", "--batch-size", "1"]
        let stderr = Pipe()
        p.standardError = stderr
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        func outputCount() -> Int { (try? Broker.lines(dir + "/out.jsonl").count) ?? 0 }
        func wait(for n: Int) {
            let deadline = Date().addingTimeInterval(60)
            while outputCount() < n && Date() < deadline { Thread.sleep(forTimeInterval: 0.3) }
        }
        try broker.produce(0..<100, topic: "events")
        wait(for: 100)
        #expect(outputCount() == 100)
        broker.kill()
        Thread.sleep(forTimeInterval: 2)
        try broker.start()
        try broker.topic("events", partitions: 2)
        try broker.produce(100..<150, topic: "events")
        wait(for: 150)
        p.terminate()
        p.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 143, "stopped by SIGTERM: 128 + 15")
        #expect(outputCount() == 150)
        #expect(log.contains("saql: warning: kafka"), "the outage should be reported: \(log.prefix(2000))")
    }

    /// Ten events for a file input: the output side is what these tests exercise.
    func fileJob(_ dir: String, broker: String, policy: String) throws -> String {
        let events = (0..<10).map { #"{"Id":\#($0),"Time":"2024-01-01T00:00:0\#($0).000Z"}"# }
        try events.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let job = """
            SET output_error_policy = '\(policy)';
            CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'kafka', brokers = '\(broker)', topic = 'out',
                properties.message.timeout.ms = '800', properties.reconnect.backoff.max.ms = '500');
            SELECT Id INTO Out FROM Events TIMESTAMP BY Time
            """
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return dir + "/job.saql"
    }

    /// `retry` (the default): records that fail while the broker is down are sent again until it is
    /// back; the run waits, then ends with every row delivered.
    @Test func retryPolicyDeliversAfterTheBrokerReturns() throws {
        let broker = PrivateBroker()
        defer { broker.kill() }
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", try fileJob(dir, broker: broker.address, policy: "retry")]
        let stderr = Pipe()
        p.standardError = stderr
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        Thread.sleep(forTimeInterval: 3)
        #expect(p.isRunning, "the run waits for its output")
        try broker.start()
        try broker.topic("out", partitions: 1)
        let deadline = Date().addingTimeInterval(90)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(log.prefix(2000))")
        #expect(log.contains("retrying"), "\(log.prefix(2000))")
        #expect(log.contains("output retries="), "\(log.prefix(2000))")
        let ids = try Broker.readAll("out", bootstrap: broker.address).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["Id"] as? Int
        }
        #expect(ids.sorted() == Array(0..<10))
    }

    /// `drop`: undeliverable records are counted and dead-lettered, and the run goes on to its end.
    @Test func dropPolicyCountsAndDeadLetters() throws {
        let broker = PrivateBroker()  // never started
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", try fileJob(dir, broker: broker.address, policy: "drop"), "--dead-letter", dir + "/dead.jsonl"]
        let stderr = Pipe()
        p.standardError = stderr
        try p.run()
        p.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(log.prefix(2000))")
        #expect(log.contains("output errors=10"), "\(log.prefix(2000))")
        let dead = try Broker.lines(dir + "/dead.jsonl").filter { $0.contains(#""reason":"output_error""#) }
        #expect(dead.count == 10)
        #expect(dead.first?.contains(#""input":"Out""#) ?? false)
    }
}

/// `saql run --metrics-port` serves Prometheus text during a run; the counters match what was sent.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"))
struct MetricsEndpointTests {
    /// One `GET /metrics` over a plain socket with a 5 s timeout. (FoundationNetworking's
    /// URLSession once never answered for 180 s in CI while the server was up.)
    func scrape(_ port: Int, failure lastFailure: inout String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            lastFailure = "connect: \(String(cString: strerror(errno)))"
            return nil
        }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                lastFailure = "recv: \(String(cString: strerror(errno)))"
                return nil
            }
            if n == 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let body = text.range(of: "\r\n\r\n") else {
            lastFailure = "answer: \(text.prefix(300))"
            return nil
        }
        return String(text[body.upperBound...])
    }

    /// The value of the first sample line starting with `prefix`.
    func sample(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// Synchronous on purpose: an async test waits for a free thread of the shared pool after each
    /// sleep, and with the blocking suites holding both (2 cores) it woke after its deadline in CI.
    @Test func metricsCountWhatWasSent() throws {
        let input = try Broker.topic("metrics", partitions: 2)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(input)', group_id = 'g-\(input)',
                \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM Events WHERE Id % 4 = 0
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        // Port 0: the server takes a free port and the run names it.
        p.arguments = ["run", dir + "/job.saql", "--metrics-port", "0"]
        _ = FileManager.default.createFile(atPath: dir + "/stderr.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/stderr.log")
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let events = (0..<400).map { #"{"Id":\#($0),"K":"k\#($0 % 9)","Time":"2024-01-01T00:00:00.000Z"}"# }
        try Broker.produce(events, to: input, keyField: "K", timeField: "Time")
        var port: Int?
        let started = Date().addingTimeInterval(60)
        while port == nil && Date() < started {
            let log = String(decoding: FileManager.default.contents(atPath: dir + "/stderr.log") ?? Data(), as: UTF8.self)
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("saql: metrics on http://127.0.0.1:") }) {
                port = Int(line.dropFirst("saql: metrics on http://127.0.0.1:".count).prefix { $0.isNumber })
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let metricsPort = try #require(port, "no metrics line: \(String(decoding: FileManager.default.contents(atPath: dir + "/stderr.log") ?? Data(), as: UTF8.self))")
        var text = ""
        var lastFailure = ""
        // Generous: on a 2-core machine the other suites' blocking tests can hold every test thread.
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if let t = scrape(metricsPort, failure: &lastFailure) {
                text = t
            }
            if sample(text, #"saql_input_events_total{input="Events"}"#) == 400 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(sample(text, #"saql_input_events_total{input="Events"}"#) == 400, "last scrape: \(text.prefix(3000)) \(lastFailure)\n\(String(decoding: FileManager.default.contents(atPath: dir + "/stderr.log") ?? Data(), as: UTF8.self).suffix(3000))")
        #expect(sample(text, #"saql_output_events_total{output="Out"}"#) == 100)
        #expect(sample(text, #"saql_events_dropped_total{reason="malformed"}"#) == 0)
        #expect(text.contains("saql_consumer_lag_records{"))
        #expect(text.contains("# HELP saql_input_events_total"))
        // SIGTERM: the run stops, flushes its output and exits 143 (128 + 15: stopped, not completed).
        p.terminate()
        p.waitUntilExit()
        #expect(p.terminationStatus == 143)
        #expect(try Broker.lines(dir + "/out.jsonl").count == 100)
    }
}
