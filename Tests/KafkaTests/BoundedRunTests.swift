import Foundation
import Planner
import Testing

/// A bounded run (`stop = 'end'`) ends only when every partition of its topic is read to the end
/// it had at the start, by this member or by the group (committed offsets): partitions still held
/// by members killed with -9 (their sessions alive until they expire) are waited for, not skipped.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"))
struct BoundedRunTests {
    func job(_ topic: String, stop: String, output: String) -> String {
        """
        CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = 'g-\(topic)',
            stop = '\(stop)', \(Broker.jobProperties()));
        CREATE OUTPUT Out WITH (connector = 'file', path = '\(output)');
        SELECT Id INTO Out FROM Events
        """
    }

    func start(_ dir: String, _ name: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/\(name).saql"]
        _ = FileManager.default.createFile(atPath: dir + "/\(name).log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/\(name).log")
        try p.run()
        return p
    }

    func ids(_ path: String) -> Set<Int> {
        Set(((try? Broker.lines(path)) ?? []).compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["Id"] as? Int
        })
    }

    /// The reported failure: a stateless job killed with -9 twice on a 3-partition topic, then run
    /// bounded while the dead members' sessions are alive. Every record must reach an output and
    /// the bounded run must read everything produced after the deaths. (This Tansu build hands the
    /// dead members' partitions to the new member at its join, so the wait itself is not reached
    /// here; on brokers that keep a dead member in the assignment until its session expires, the
    /// run waits, printing which partitions it waits for.)
    @Test func aBoundedRunAfterKilledMembersReadsEverything() throws {
        let topic = try Broker.topic("bounded", partitions: 3)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func events(_ r: Range<Int>) -> [String] { r.map { #"{"Id":\#($0),"K":"k\#($0 % 7)","Time":"2024-01-01T00:00:00.000Z"}"# } }
        for (i, m) in ["a", "b"].enumerated() {
            try Broker.produce(events(i * 30..<(i + 1) * 30), to: topic, keyField: "K", timeField: "Time")
            try job(topic, stop: "never", output: "out-\(m).jsonl").write(toFile: dir + "/\(m).saql", atomically: true, encoding: .utf8)
            let p = try start(dir, m)
            let deadline = Date().addingTimeInterval(30)
            while ids(dir + "/out-\(m).jsonl").isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        try Broker.produce(events(60..<3000), to: topic, keyField: "K", timeField: "Time")
        try job(topic, stop: "end", output: "out-c.jsonl").write(toFile: dir + "/c.saql", atomically: true, encoding: .utf8)
        let c = try start(dir, "c")
        let end = Date().addingTimeInterval(120)
        while c.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.2) }
        if c.isRunning { c.terminate() }
        c.waitUntilExit()
        let log = (try? String(contentsOfFile: dir + "/c.log", encoding: .utf8)) ?? ""
        #expect(c.terminationStatus == 0, "\(log.suffix(1500))")
        let all = ids(dir + "/out-a.jsonl").union(ids(dir + "/out-b.jsonl")).union(ids(dir + "/out-c.jsonl"))
        #expect(all == Set(0..<3000), "\(3000 - all.count) records never reached an output")
        #expect(ids(dir + "/out-c.jsonl").isSuperset(of: Set(60..<3000)), "the bounded run read what was produced after the members died")
    }

    /// A live member (`stop = 'never'`) holds some partitions: the bounded member, started with it,
    /// reads its own to their end, then ends only once the live member has committed the rest to
    /// their start-time ends, so at its exit every record is in one of the two outputs.
    @Test func aBoundedRunBesideALiveMemberEndsWhenTheGroupHasReadEverything() throws {
        let topic = try Broker.topic("beside", partitions: 4)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let count = 60_000
        try Broker.produce((0..<count).map { #"{"Id":\#($0),"K":"k\#($0 % 11)","Time":"2024-01-01T00:00:00.000Z"}"# },
                           to: topic, keyField: "K", timeField: "Time")
        try job(topic, stop: "never", output: "out-live.jsonl").write(toFile: dir + "/live.saql", atomically: true, encoding: .utf8)
        try job(topic, stop: "end", output: "out-bounded.jsonl").write(toFile: dir + "/bounded.saql", atomically: true, encoding: .utf8)
        // Started together, the two join the group's first generation and split the partitions.
        let live = try start(dir, "live"), bounded = try start(dir, "bounded")
        defer { if live.isRunning { kill(live.processIdentifier, SIGKILL); live.waitUntilExit() } }
        let end = Date().addingTimeInterval(120)
        while bounded.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        let atExit = (live: ids(dir + "/out-live.jsonl"), bounded: ids(dir + "/out-bounded.jsonl"))
        if bounded.isRunning { bounded.terminate() }
        bounded.waitUntilExit()
        let log = (try? String(contentsOfFile: dir + "/bounded.log", encoding: .utf8)) ?? ""
        #expect(bounded.terminationStatus == 0, "\(log.suffix(1500))")
        #expect(live.isRunning, "the live member goes on")
        #expect(!atExit.live.isEmpty && !atExit.bounded.isEmpty, "the members split the partitions (\(atExit.live.count) and \(atExit.bounded.count) records)")
        let missing = Set(0..<count).subtracting(atExit.live.union(atExit.bounded))
        #expect(missing.isEmpty, "\(missing.count) records were not read by the group when the bounded member ended: \(log.suffix(800))")
    }
}
