import Foundation
import Testing

/// The real Mosquitto broker the tests talk to: `scripts/mosquitto-server.sh start` exports its URL.
/// Without it these tests are skipped, unless `SAQL_REQUIRE_MQTT=1` (as `make test` sets), when its
/// absence is a failure. Messages are published and read with Mosquitto's own clients
/// (`mosquitto_pub`, `mosquitto_sub`), independent of saql's.
enum MQTTBroker {
    static let url = ProcessInfo.processInfo.environment["SAQL_TEST_MQTT_URL"]
    static let port = ProcessInfo.processInfo.environment["SAQL_TEST_MQTT_PORT"] ?? ""
    static let tlsURL = ProcessInfo.processInfo.environment["SAQL_TEST_MQTTS_URL"] ?? ""
    static let ca = ProcessInfo.processInfo.environment["SAQL_TEST_MQTT_CA"] ?? ""
    static var available: Bool { url != nil || ProcessInfo.processInfo.environment["SAQL_REQUIRE_MQTT"] == "1" }

    /// Stops and starts the broker (`scripts/mosquitto-server.sh`): sessions and queued messages
    /// are gone (it keeps nothing on disk), connections are cut.
    static func restart() throws {
        let script = ExampleJobTests.root + "/scripts/mosquitto-server.sh"
        guard system("\(script) stop \(port) >/dev/null 2>&1 </dev/null && \(script) start \(port) >/dev/null 2>&1 </dev/null") == 0 else {
            throw TestFailure("mosquitto-server.sh restart failed")
        }
    }

    /// Freezes the broker (SIGSTOP) or thaws it (SIGCONT): connections stay open, nothing is answered.
    static func freeze(_ frozen: Bool) throws {
        let pidFile = "/tmp/saql-mosquitto-\(port).pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              kill(pid, frozen ? SIGSTOP : SIGCONT) == 0 else {
            throw TestFailure("cannot signal the broker (\(pidFile))")
        }
    }

    static func requireURL() throws -> String {
        guard let url else { throw TestFailure("SAQL_TEST_MQTT_URL is not set: start the broker with scripts/mosquitto-server.sh") }
        return url
    }

    /// A `mosquitto_pub -l` process publishing each line written to it as one QoS 1 message.
    /// Close it only once what it sent has arrived: at the end of its input it disconnects without
    /// waiting for the messages its client still holds (seen with 2.0.11 and 100K lines).
    final class Publisher {
        let process = Process()
        private let input = Pipe()

        init(topic: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
            process.arguments = ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-l"]
            process.standardInput = input
            try process.run()
        }

        func send(_ lines: [String]) {
            input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }

        func close() throws {
            try input.fileHandleForWriting.close()
            MQTTTests.waitForExit(process, seconds: 60)
            guard process.terminationStatus == 0 else { throw TestFailure("mosquitto_pub exited with \(process.terminationStatus)") }
        }
    }

    /// A `mosquitto_sub` process writing the messages it gets to a file (a pipe would fill and block it).
    final class Subscriber {
        let process = Process()
        let path = NSTemporaryDirectory() + "saql-mqtt-sub-\(UUID().uuidString).txt"

        init(_ filter: String, count: Int?) throws {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
            process.arguments = ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", filter, "-v"] + (count.map { ["-C", "\($0)"] } ?? [])
            process.standardOutput = FileHandle(forWritingAtPath: path)
            try process.run()
        }

        /// What arrived, once `count` messages did or 60 s passed (mosquitto_sub's own -W was seen
        /// not to end it); `-v` lines are `topic payload`.
        func output() -> String {
            MQTTTests.waitForExit(process, seconds: 60)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }

        /// What arrived once `complete` holds for it (or 60 s passed); the subscriber is stopped.
        func output(until complete: (String) -> Bool) -> String {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, !complete((try? String(contentsOfFile: path, encoding: .utf8)) ?? "") {
                Thread.sleep(forTimeInterval: 0.2)
            }
            kill(process.processIdentifier, SIGKILL)
            return output()
        }
    }

    static func subscribe(_ filter: String, count: Int?) throws -> Subscriber { try Subscriber(filter, count: count) }
}

@Suite(.enabled(if: MQTTBroker.available, "needs SAQL_TEST_MQTT_URL (scripts/mosquitto-server.sh start)"), .serialized)
struct MQTTTests {
    func directory(_ name: String, job: String) throws -> String {
        let dir = NSTemporaryDirectory() + "saql-mqtt-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return dir
    }

    func start(_ dir: String, arguments: [String] = []) throws -> (Process, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CheckpointTests.saql)
        p.arguments = ["run", dir + "/job.saql"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["MQTT_URL"] = try MQTTBroker.requireURL()
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env
        let log = dir + "/run-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, log)
    }

    /// Waits until `path` has `lines` lines (or 60 s pass); returns its lines.
    func waitForLines(_ path: String, _ lines: Int) -> [String] {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let got = text.split(separator: "\n").map(String.init)
            if got.count >= lines || Date() > deadline { return got }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop(_ p: Process) {
        kill(p.processIdentifier, SIGTERM)
        Self.waitForExit(p, seconds: 90)
    }

    /// Waits for `p` to exit, killing it after `seconds`: a hung process fails its test, not the run.
    static func waitForExit(_ p: Process, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Waits until the job's clients are connected and subscribed (the broker's log says so).
    func waitForSubscription(_ clientId: String) {
        let log = "/tmp/saql-mosquitto-\(MQTTBroker.port).log"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("as \(clientId) ") { Thread.sleep(forTimeInterval: 0.3); return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    static func reading(_ i: Int) -> String {
        #"{"DeviceId":"dev-\#(i % 50)","Temperature":\#(60 + i % 45),"Seq":\#(i)}"#
    }

    @Test func messagesInRowsAndCommandsOut() throws {
        let run = UUID().uuidString.prefix(8)
        let dir = try directory("inout", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/telemetry/#', client_id = 'in-\(run)');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            CREATE OUTPUT Commands WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/devices/{DeviceId}/commands');
            SELECT DeviceId, Temperature, Seq INTO Readings FROM Telemetry
            SELECT DeviceId, 'cool' AS command, Seq INTO Commands FROM Telemetry WHERE Temperature > 100
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 5_000
        let hot = (0..<n).filter { 60 + $0 % 45 > 100 }
        let sub = try MQTTBroker.subscribe("saql-\(run)/devices/+/commands", count: hot.count)
        let (job, log) = try start(dir)
        waitForSubscription("in-\(run)")
        var lines = (0..<n).map(Self.reading)
        lines.insert("not json", at: 2_500)
        let publisher = try MQTTBroker.Publisher(topic: "saql-\(run)/telemetry/plant-1")
        publisher.send(lines)
        let rows = waitForLines(dir + "/readings.jsonl", n)
        try publisher.close()
        let commands = sub.output()
        stop(job)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(job.terminationStatus == 143, "\(text)")
        #expect(rows == (0..<n).map { #"{"DeviceId":"dev-\#($0 % 50)","Temperature":\#(60 + $0 % 45),"Seq":\#($0)}"# })
        #expect(text.contains("malformed event skipped") && text.contains("malformed=1"), "\(text)")
        let expected = hot.map { #"saql-\#(run)/devices/dev-\#($0 % 50)/commands {"DeviceId":"dev-\#($0 % 50)","command":"cool","Seq":\#($0)}"# }
        #expect(commands.split(separator: "\n").map(String.init).sorted() == expected.sorted())
    }

    @Test func aPersistentSessionKeepsTheMessagesPublishedWhileTheJobIsStopped() throws {
        let run = UUID().uuidString.prefix(8)
        let dir = try directory("session", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/t', client_id = 'session-\(run)');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            SELECT Seq INTO Readings FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The first run subscribes; the broker keeps the session after it stops.
        let (first, _) = try start(dir)
        waitForSubscription("session-\(run)")
        let publisher = try MQTTBroker.Publisher(topic: "saql-\(run)/t")
        publisher.send((0..<100).map(Self.reading))
        #expect(waitForLines(dir + "/readings.jsonl", 100).count == 100)
        stop(first)
        publisher.send((100..<300).map(Self.reading))
        try FileManager.default.removeItem(atPath: dir + "/readings.jsonl")
        let (second, log) = try start(dir)
        let rows = waitForLines(dir + "/readings.jsonl", 200)
        stop(second)
        try publisher.close()
        #expect(rows == (100..<300).map { #"{"Seq":\#($0)}"# }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    @Test func aJobWaitsForAnAbsentBrokerAndStopsOnASignal() throws {
        let dir = try directory("absent", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:1', topic = 't', password = 'hunter2secret', username = 'saql');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            SELECT * INTO Readings FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (job, log) = try start(dir)
        Thread.sleep(forTimeInterval: 1.5)
        stop(job)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("mqtt 127.0.0.1:1: cannot connect") && text.contains("retrying in"), "\(text)")
        #expect(job.terminationStatus == 1 || job.terminationStatus == 143, "\(text)")
        #expect(!text.contains("hunter2"))
        let explain = try runSAQL(["explain", dir + "/job.saql"], includingErrors: true)
        #expect(explain.stdout.contains("broker=127.0.0.1:1, topic=t") && !explain.stdout.contains("hunter2"), "\(explain.stdout)")
    }

    @Test func tlsAndMQTT5WithMessageMetadata() throws {
        let run = UUID().uuidString.prefix(8)
        let dir = try directory("tls", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '\(MQTTBroker.tlsURL)', tls.ca_file = '\(MQTTBroker.ca)', version = '5',
                                         topic = 'saql-\(run)/+/telemetry', qos = '1', client_id = 'tls-\(run)');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            SELECT Seq, GetMetadataPropertyValue(Telemetry, '[MQTT].[Topic]') AS topic,
                   GetMetadataPropertyValue(Telemetry, '[MQTT].[QoS]') AS qos,
                   GetMetadataPropertyValue(Telemetry, '[MQTT].[Retain]') AS retained,
                   GetMetadataPropertyValue(Telemetry, '[MQTT].[MessageId]') > 0 AS hasId
            INTO Readings FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (job, log) = try start(dir)
        waitForSubscription("tls-\(run)")
        let matching = try MQTTBroker.Publisher(topic: "saql-\(run)/plant-7/telemetry")
        let other = try MQTTBroker.Publisher(topic: "saql-\(run)/plant-8/other")
        matching.send((0..<3).map(Self.reading))
        other.send((3..<4).map(Self.reading))
        let rows = waitForLines(dir + "/readings.jsonl", 3)
        Thread.sleep(forTimeInterval: 0.5)
        stop(job)
        try matching.close()
        try other.close()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(rows == (0..<3).map { #"{"Seq":\#($0),"topic":"saql-\#(run)/plant-7/telemetry","qos":1,"retained":false,"hasId":true}"# }, "\(text)")
        #expect(job.terminationStatus == 143, "\(text)")

        // A broker certificate that does not verify is an error at start, not a retry loop.
        let wrong = try directory("tls-wrong", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '\(MQTTBroker.tlsURL)', topic = 't');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            SELECT * INTO Readings FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: wrong) }
        let (refused, refusedLog) = try start(wrong)
        Self.waitForExit(refused, seconds: 90)
        let refusal = try String(contentsOfFile: refusedLog, encoding: .utf8)
        #expect(refused.terminationStatus == 1 && refusal.contains("mqtt 127.0.0.1:\(Int(MQTTBroker.port).map { $0 + 1 } ?? 0): cannot connect: A TLS error occurred")
                && refusal.contains("tls.ca_file"), "\(refusal)")
    }

    @Test func aBrokerRestartMidRunIsSurvived() throws {
        let run = UUID().uuidString.prefix(8)
        let dir = try directory("restart", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/t', client_id = 'restart-\(run)');
            CREATE OUTPUT Readings WITH (connector = 'file', path = 'readings.jsonl');
            CREATE OUTPUT Echo WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/echo');
            SELECT Seq INTO Readings FROM Telemetry
            SELECT Seq INTO Echo FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (job, log) = try start(dir)
        waitForSubscription("restart-\(run)")
        let before = try MQTTBroker.Publisher(topic: "saql-\(run)/t")
        before.send((0..<100).map(Self.reading))
        #expect(waitForLines(dir + "/readings.jsonl", 100).count == 100)
        try before.close()
        try MQTTBroker.restart()
        // The job reconnects and subscribes again (the restarted broker has no session for it).
        let sub = try MQTTBroker.subscribe("saql-\(run)/echo", count: 100)
        // Only the log since the restart counts: the job's input connected again and the subscriber is there.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: "/tmp/saql-mosquitto-\(MQTTBroker.port).log", encoding: .utf8)) ?? ""
            let since = text.components(separatedBy: "starting").last ?? ""
            // Two "auto-" clients: the start script's readiness probe, and the subscriber.
            if since.contains("as restart-\(run) ") && since.components(separatedBy: "as auto-").count > 2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let after = try MQTTBroker.Publisher(topic: "saql-\(run)/t")
        after.send((100..<200).map(Self.reading))
        let rows = waitForLines(dir + "/readings.jsonl", 200)
        try after.close()
        let echoed = sub.output()
        stop(job)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(rows == (0..<200).map { #"{"Seq":\#($0)}"# }, "\(text)")
        // At least once, and QoS 1 resends after a reconnection may reorder: every row arrives.
        #expect(Set(echoed.split(separator: "\n").map(String.init)) == Set((100..<200).map { #"saql-\#(run)/echo {"Seq":\#($0)}"# }))
        #expect(text.contains("connection lost"), "\(text)")
        #expect(job.terminationStatus == 143, "\(text)")
    }

    /// A broker that keeps the connection but stops answering: after 10 s without an acknowledgement
    /// the output sends its messages again, and once the broker answers every row arrives.
    @Test func aSilentBrokerGetsTheMessagesAgain() throws {
        let run = UUID().uuidString.prefix(8)
        // Enough rows that the job is still publishing when the broker freezes.
        let n = 100_000
        let dir = try directory("silent", job: """
            CREATE INPUT Rows WITH (connector = 'file', path = 'rows.jsonl');
            CREATE OUTPUT Echo WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/echo', client_id = 'silent-\(run)');
            SELECT Seq INTO Echo FROM Rows
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ((0..<n).map(Self.reading).joined(separator: "\n") + "\n").write(toFile: dir + "/rows.jsonl", atomically: true, encoding: .utf8)
        // No count: messages sent again arrive twice.
        let sub = try MQTTBroker.subscribe("saql-\(run)/echo", count: nil)
        Thread.sleep(forTimeInterval: 0.5)
        let (job, log) = try start(dir)
        waitForSubscription("silent-\(run)")
        try MQTTBroker.freeze(true)
        Thread.sleep(forTimeInterval: 13)
        try MQTTBroker.freeze(false)
        Self.waitForExit(job, seconds: 180)
        let expected = Set((0..<n).map { #"saql-\#(run)/echo {"Seq":\#($0)}"# })
        let echoed = Set(sub.output { Set($0.split(separator: "\n").map(String.init)).count >= n }.split(separator: "\n").map(String.init))
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(job.terminationStatus == 0, "\(text)")
        #expect(text.contains("sent again"), "\(text)")
        #expect(echoed == expected, "\(expected.subtracting(echoed).count) missing")
    }

    /// Stopping while the broker answers nothing ends the job within about 30 s, with an error that
    /// counts the messages not acknowledged: no hang, no silent loss.
    @Test func stoppingWhileTheBrokerIsSilentEndsWithAnError() throws {
        let run = UUID().uuidString.prefix(8)
        let dir = try directory("silentstop", job: """
            CREATE INPUT Rows WITH (connector = 'file', path = 'rows.jsonl');
            CREATE OUTPUT Echo WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/echo', client_id = 'silentstop-\(run)');
            SELECT Seq INTO Echo FROM Rows
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ((0..<50_000).map(Self.reading).joined(separator: "\n") + "\n").write(toFile: dir + "/rows.jsonl", atomically: true, encoding: .utf8)
        let (job, log) = try start(dir)
        waitForSubscription("silentstop-\(run)")
        try MQTTBroker.freeze(true)
        defer { try? MQTTBroker.freeze(false) }
        Thread.sleep(forTimeInterval: 1)
        let stoppedAt = Date()
        kill(job.processIdentifier, SIGTERM)
        while job.isRunning && Date().timeIntervalSince(stoppedAt) < 60 { Thread.sleep(forTimeInterval: 0.1) }
        let running = job.isRunning
        if running { kill(job.processIdentifier, SIGKILL) }
        Self.waitForExit(job, seconds: 180)
        try MQTTBroker.freeze(false)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!running, "the job did not stop within 60 s of SIGTERM: \(text)")
        #expect(job.terminationStatus != 0 && job.terminationStatus != 143, "\(text)")
        #expect(text.contains("not acknowledged"), "\(text)")
    }

    @Test func aHundredThousandMessagesEqualTheSameEventsFromAFile() throws {
        let run = UUID().uuidString.prefix(8)
        let n = 100_000
        let events = (0..<n).map(Self.reading)
        // The same query over the same payloads, read from MQTT and from a file (a stateless query:
        // event time on MQTT is the receive time, so windows would differ by design).
        let query = "SELECT DeviceId, Temperature, Seq, Temperature > 100 AS hot INTO Rows FROM Telemetry WHERE Seq % 3 <> 1"
        let dir = try directory("hundredk", job: """
            CREATE INPUT Telemetry WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/t', client_id = 'bulk-\(run)');
            CREATE OUTPUT Rows WITH (connector = 'file', path = 'rows.jsonl');
            \(query)
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'events.jsonl');
            CREATE OUTPUT Rows WITH (connector = 'file', path = 'file-rows.jsonl');
            \(query)
            """.write(toFile: dir + "/file.saql", atomically: true, encoding: .utf8)
        try (events.joined(separator: "\n") + "\n").write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        let expectedCount = (0..<n).filter { $0 % 3 != 1 }.count
        let (job, log) = try start(dir)
        waitForSubscription("bulk-\(run)")
        let publisher = try MQTTBroker.Publisher(topic: "saql-\(run)/t")
        publisher.send(events)
        let rows = waitForLines(dir + "/rows.jsonl", expectedCount)
        stop(job)
        try publisher.close()
        #expect(try runSAQL(["run", dir + "/file.saql", "--quiet"]).status == 0)
        let fileRows = try String(contentsOfFile: dir + "/file-rows.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(fileRows.count == expectedCount)
        #expect(rows == fileRows, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    @Test func aHundredThousandRowsOutAllArrive() throws {
        let run = UUID().uuidString.prefix(8)
        let n = 100_000
        let dir = try directory("bulk-out", job: """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'events.jsonl');
            CREATE OUTPUT Bus WITH (connector = 'mqtt', url = '${MQTT_URL}', topic = 'saql-\(run)/out');
            SELECT Seq INTO Bus FROM Telemetry
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ((0..<n).map(Self.reading).joined(separator: "\n") + "\n").write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        let sub = try MQTTBroker.subscribe("saql-\(run)/out", count: n)
        Thread.sleep(forTimeInterval: 0.5)
        // More messages than 16-bit message ids: the run ends only once each one is acknowledged.
        let (job, log) = try start(dir)
        Self.waitForExit(job, seconds: 180)
        let got = sub.output().split(separator: "\n")
        #expect(job.terminationStatus == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(got.count == n)
        #expect(Set(got.map(String.init)).count == n)
    }
}
