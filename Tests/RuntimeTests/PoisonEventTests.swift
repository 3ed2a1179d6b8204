import Foundation
import Testing

/// The poison-event guard: an event that crashes a checkpointed job crashes it twice at most; the
/// third start dead-letters it, skips it, and ends with the outputs of a run without it.
struct PoisonEventTests {
    static let job = """
        SET checkpoint_interval = '100ms';
        CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
        CREATE OUTPUT Aggregates WITH (connector = 'file', path = 'out/aggregates.jsonl');
        CREATE OUTPUT Rows WITH (connector = 'file', path = 'out/rows.jsonl');
        WITH T AS (SELECT * FROM Telemetry TIMESTAMP BY EventTime)
        SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS avgTemp, System.Timestamp() AS WindowEnd
        INTO Aggregates FROM T GROUP BY DeviceId, TumblingWindow(minute, 5)
        SELECT DeviceId, Temperature INTO Rows FROM T WHERE Vibration > 90
        """

    func directory(_ name: String, events: String) throws -> String {
        let dir = NSTemporaryDirectory() + "saql-poison-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        try events.write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    func run(_ dir: String, crashOn: String?) throws -> (process: Process, log: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CheckpointTests.saql)
        p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state", "--dead-letter", dir + "/dead.jsonl"]
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        if let crashOn { env["SAQL_CRASH_ON"] = crashOn }
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [100_000, 1])
    func anEventThatCrashesTwiceIsSkipped(at line: Int) throws {
        var lines = CheckpointTests.telemetry(200_000).split(separator: "\n").map(String.init)
        let poison = lines[line - 1].replacingOccurrences(of: "\"DeviceId\"", with: "\"Poison\":1,\"DeviceId\"")
        let reference = try directory("reference", events: lines.joined(separator: "\n") + "\n")
        lines[line - 1] = poison
        let crashed = try directory("crashed", events: lines.joined(separator: "\n") + "\n")
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        // The reference run reads the same event without the trigger: the skipped event's row is
        // then the only difference, so it is removed from the reference's input too.
        var withoutPoison = lines
        withoutPoison.remove(at: line - 1)
        try (withoutPoison.joined(separator: "\n") + "\n").write(toFile: reference + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        #expect(try run(reference, crashOn: nil).process.terminationStatus == 0)

        for round in 1...2 {
            let (p, log) = try run(crashed, crashOn: "\"Poison\":1")
            #expect(p.terminationReason == .uncaughtSignal, "run \(round) crashes on the event: \(log.suffix(300))")
            #expect(FileManager.default.fileExists(atPath: crashed + "/state/in-flight"), "run \(round) left its crash record")
        }
        let (last, log) = try run(crashed, crashOn: "\"Poison\":1")
        #expect(last.terminationStatus == 0, "the third run skips the event: \(log.suffix(500))")
        #expect(log.contains("telemetry.jsonl:\(line): event skipped: the job crashed twice on this event (SIGILL)"), "\(log.suffix(500))")
        #expect(log.contains("malformed=1"), "the skipped event is counted")
        let dead = try String(contentsOfFile: crashed + "/dead.jsonl", encoding: .utf8).split(separator: "\n")
        let poisoned = dead.filter { $0.contains("\"reason\":\"poison\"") }
        #expect(poisoned.count == 1)
        #expect(poisoned.first?.contains("Poison") == true, "the dead letter holds the raw event")
        for name in ["aggregates.jsonl", "rows.jsonl"] {
            let expected = try String(contentsOfFile: reference + "/out/" + name, encoding: .utf8)
            let actual = try String(contentsOfFile: crashed + "/out/" + name, encoding: .utf8)
            #expect(actual == expected, "\(name): \(actual.split(separator: "\n").count) rows, \(expected.split(separator: "\n").count) expected")
        }
    }
}
