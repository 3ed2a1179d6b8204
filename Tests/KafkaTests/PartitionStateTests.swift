import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// `state_topic`: each partition's window state moves with the partition between the processes of
/// a consumer group.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"), .serialized)
struct PartitionStateTests {
    static let devices = (0..<8).map { "dev-\($0)" }
    static let t0 = Timestamp(year: 2024, month: 1, day: 1).ticks

    /// One reading per device per second over `seconds`; V cycles so sums tell windows apart.
    static func events(_ seconds: Range<Int>) -> [String] {
        seconds.flatMap { s in
            devices.map { d in
                #"{"DeviceId":"\#(d)","V":\#(s % 7),"Time":"\#(Timestamp(ticks: t0 + Int64(s) * Timestamp.ticksPerSecond).iso8601)"}"#
            }
        }
    }

    /// Count and sum per device and 1-minute window end (windows hold (end - 1m, end]), for windows
    /// ending at or before `through` seconds.
    static func expected(_ seconds: Range<Int>, through: Int) -> Set<String> {
        var windows: [String: (n: Int, total: Int)] = [:]
        for s in seconds {
            let end = (s + 59) / 60 * 60
            guard end <= through else { continue }
            for d in devices {
                let key = "\(d)|\(Timestamp(ticks: t0 + Int64(end) * Timestamp.ticksPerSecond).iso8601)"
                windows[key, default: (0, 0)].n += 1
                windows[key, default: (0, 0)].total += s % 7
            }
        }
        return Set(windows.map { "\($0.key)|\($0.value.n)|\($0.value.total)" })
    }

    /// The same rows' `DeviceId|WindowEnd|n|total`.
    static func rows(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            guard let r = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let d = r["DeviceId"] as? String, let end = (r["WindowEnd"] as? String).flatMap(Timestamp.init(parsing:)),
                  let n = r["n"] as? Int, let total = r["total"] as? Int else { return nil }
            return "\(d)|\(end.iso8601)|\(n)|\(total)"
        }
    }

    static func job(topic: String, interval: String) -> String {
        """
        SET checkpoint_interval = '\(interval)';
        CREATE INPUT Telemetry WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = 'g-\(topic)',
            state_topic = '\(topic)-state', \(Broker.jobProperties()));
        WITH Readings AS (SELECT * FROM Telemetry TIMESTAMP BY Time)
        SELECT DeviceId, COUNT(*) AS n, SUM(V) AS total, System.Timestamp() AS WindowEnd
        INTO Windows FROM Readings GROUP BY DeviceId, TumblingWindow(minute, 1)
        SELECT DeviceId, Time, LAG(V) OVER (PARTITION BY DeviceId LIMIT DURATION(hour, 1)) AS Previous
        INTO Changes FROM Readings
        """
    }

    /// `DeviceId|Time|Previous` of the Changes rows (LAG's history moves with the partition too).
    static func changes(_ lines: [String]) -> [String] {
        lines.compactMap { line in
            guard let r = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let d = r["DeviceId"] as? String, let t = r["Time"] as? String else { return nil }
            return "\(d)|\(t)|\((r["Previous"] as? Int).map(String.init) ?? "null")"
        }
    }

    /// Each reading with the previous reading's V of its device (none for the first).
    static func expectedChanges(_ seconds: [Int]) -> Set<String> {
        Set(devices.flatMap { d in
            seconds.indices.map { i in
                "\(d)|\(Timestamp(ticks: t0 + Int64(seconds[i]) * Timestamp.ticksPerSecond).iso8601)|\(i == 0 ? "null" : String(seconds[i - 1] % 7))"
            }
        })
    }

    /// A `saql run` of the job writing windows to `out` and changes to `changesOut`, its stderr in `log`.
    final class Member {
        let process = Process()
        let out: String, changesOut: String, log: String

        init(job: String, directory: String, name: String) throws {
            out = "\(directory)/\(name).jsonl"
            changesOut = "\(directory)/\(name)-changes.jsonl"
            log = "\(directory)/\(name).log"
            process.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
            process.arguments = ["run", job, "--output", "Windows=\(out)", "--output", "Changes=\(changesOut)"]
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
        }

        var lines: [String] { (try? Broker.lines(out)) ?? [] }
        var changes: [String] { PartitionStateTests.changes((try? Broker.lines(changesOut)) ?? []) }
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        func stop() -> Int32 {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Waits up to `seconds` for `condition`, without holding a test thread meanwhile.
    static func wait(_ seconds: Double, for condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    static func setUp(_ prefix: String, interval: String) throws -> (topic: String, directory: String, job: String) {
        let topic = try Broker.topic(prefix, partitions: 4)
        _ = try Broker.topic("\(topic)-state", partitions: 1, exactName: true)
        let dir = try Broker.temporaryDirectory()
        try job(topic: topic, interval: interval).write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return (topic, dir, dir + "/job.saql")
    }

    /// Every reading's second: six minutes, then one reading at 00:20 that closes every window up to 00:06.
    static let seconds = Array(0..<360) + [1200]

    /// The first six minutes' first half, and a process that has read it: windows ending 00:00,
    /// 00:01 and 00:02 are complete, 00:03 holds 30 of its 60 seconds.
    static func firstHalf(topic: String, directory: String, job: String) async throws -> Member {
        try Broker.produce(events(0..<150), to: topic, keyField: "DeviceId", timeField: "Time")
        let a = try Member(job: job, directory: directory, name: "a")
        #expect(try await wait(120) { a.lines.count >= 24 }, "\(a.logText)")
        return a
    }

    /// The rest of the readings.
    static func secondHalf(topic: String) throws {
        try Broker.produce(events(150..<360) + events(1200..<1201), to: topic, keyField: "DeviceId", timeField: "Time")
    }

    /// A second process joins while the first holds every partition's minute 00:03 window half full
    /// (no periodic save in between): the partitions that move take that state along, so across both
    /// processes each window comes out once, whole.
    @Test func stateMovesWithItsPartitionAtARebalance() async throws {
        let (topic, dir, job) = try Self.setUp("move", interval: "1h")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try await Self.firstHalf(topic: topic, directory: dir, job: job)
        let b = try Member(job: job, directory: dir, name: "b")
        #expect(try await Self.wait(120) { b.logText.contains("assigned") && a.logText.components(separatedBy: "assigned").count > 2 },
                "\(a.logText)\n\(b.logText)")
        try Self.secondHalf(topic: topic)
        let want = Self.expected(0..<360, through: 360)
        #expect(try await Self.wait(120) {
            a.lines.count + b.lines.count >= want.count && a.changes.count + b.changes.count >= Self.seconds.count * Self.devices.count
        })
        try await Task.sleep(for: .milliseconds(500))
        #expect(a.stop() == 143 && b.stop() == 143, "stopped by SIGTERM")
        let rowsA = Self.rows(a.lines), rowsB = Self.rows(b.lines)
        #expect((rowsA + rowsB).count == want.count, "a window came out twice or in parts")
        #expect(Set(rowsA + rowsB) == want)
        // The window open at the rebalance came out of B for B's partitions, from A's state.
        #expect(rowsB.contains { $0.contains("T00:03:00") }, "\(b.logText)")
        #expect(b.logText.contains("continue from their saved state") && !b.logText.contains("; 0 continue"), "\(b.logText)")
        // Every reading once, each with its device's previous reading, across the move.
        #expect((a.changes + b.changes).count == Self.seconds.count * Self.devices.count)
        #expect(Set(a.changes + b.changes) == Self.expectedChanges(Self.seconds))
    }

    /// A member killed with -9 saves nothing at the end: the survivor continues its partitions from
    /// their last periodic save and their offsets, so windows come out whole (some twice: rows
    /// emitted after that save are emitted again, at-least-once).
    @Test func aKilledMembersPartitionsContinueFromTheirLastSave() async throws {
        let (topic, dir, job) = try Self.setUp("kill", interval: "200ms")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try await Self.firstHalf(topic: topic, directory: dir, job: job)
        try await Task.sleep(for: .milliseconds(500))
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()
        let b = try Member(job: job, directory: dir, name: "b")
        try Self.secondHalf(topic: topic)
        let want = Self.expected(0..<360, through: 360)
        #expect(try await Self.wait(120) { Set(Self.rows(a.lines + b.lines)).count >= want.count }, "\(b.logText)")
        #expect(try await Self.wait(30) { Set(a.changes + b.changes).count >= Self.seconds.count * Self.devices.count })
        #expect(b.stop() == 143)
        #expect(Set(Self.rows(a.lines + b.lines)) == want)
        #expect(Set(a.changes + b.changes) == Self.expectedChanges(Self.seconds))
        #expect(b.logText.contains("assigned; 4 continue from their saved state"), "\(b.logText)")
    }
}
