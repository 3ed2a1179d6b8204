import Foundation
import Testing

/// The real Mosquitto broker the tests talk to: `scripts/mosquitto-server.sh start` exports its URL.
/// Without it these tests are skipped, unless `SAQL_REQUIRE_MQTT=1` (as `make test` sets), when its
/// absence is a failure. Messages are published and read with Mosquitto's own clients
/// (`mosquitto_pub`, `mosquitto_sub`), independent of saql's.
enum MQTTBroker {
    static let url = ProcessInfo.processInfo.environment["SAQL_TEST_MQTT_URL"]
    static let port = ProcessInfo.processInfo.environment["SAQL_TEST_MQTT_PORT"] ?? ""
    static var available: Bool { url != nil || ProcessInfo.processInfo.environment["SAQL_REQUIRE_MQTT"] == "1" }

    static func requireURL() throws -> String {
        guard let url else { throw TestFailure("SAQL_TEST_MQTT_URL is not set: start the broker with scripts/mosquitto-server.sh") }
        return url
    }

    /// Publishes each line as one QoS 1 message to `topic`.
    static func publish(_ lines: [String], topic: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        p.arguments = ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-l"]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("mosquitto_pub exited with \(p.terminationStatus)") }
    }

    /// Subscribes to `filter` until `count` messages arrived; `-v` lines are `topic payload`.
    static func subscribe(_ filter: String, count: Int) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        p.arguments = ["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", filter, "-v", "-C", "\(count)", "-W", "60"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        return (p, out)
    }
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
        FileManager.default.createFile(atPath: log, contents: nil)
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
        let (sub, subOut) = try MQTTBroker.subscribe("saql-\(run)/devices/+/commands", count: hot.count)
        let (job, log) = try start(dir)
        waitForSubscription("in-\(run)")
        var lines = (0..<n).map(Self.reading)
        lines.insert("not json", at: 2_500)
        try MQTTBroker.publish(lines, topic: "saql-\(run)/telemetry/plant-1")
        let rows = waitForLines(dir + "/readings.jsonl", n)
        let commands = String(decoding: subOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sub.waitUntilExit()
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
        try MQTTBroker.publish((0..<100).map(Self.reading), topic: "saql-\(run)/t")
        #expect(waitForLines(dir + "/readings.jsonl", 100).count == 100)
        stop(first)
        try MQTTBroker.publish((100..<300).map(Self.reading), topic: "saql-\(run)/t")
        try FileManager.default.removeItem(atPath: dir + "/readings.jsonl")
        let (second, log) = try start(dir)
        let rows = waitForLines(dir + "/readings.jsonl", 200)
        stop(second)
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
}
