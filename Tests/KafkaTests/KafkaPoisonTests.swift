import Foundation
import Testing

/// The poison-event guard on a Kafka input: a record that crashes a checkpointed job twice is
/// named by its topic, partition and offset, and the third start dead-letters and skips it, even
/// though a restart's polls group the partitions' records into other batches.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"))
struct KafkaPoisonTests {
    func run(_ dir: String) throws -> (process: Process, log: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state", "--dead-letter", dir + "/dead.jsonl"]
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["SAQL_CRASH_ON"] = "\"Poison\":1"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p, String(decoding: data, as: UTF8.self))
    }

    @Test func aRecordThatCrashesTwiceIsSkipped() throws {
        let topic = try Broker.topic("poison", partitions: 3)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let poisonId = 1234
        let events = (0..<3000).map { i in
            #"{"Id":\#(i),"K":"k\#(i % 7)",\#(i == poisonId ? #""Poison":1,"# : "")"Time":"2024-01-01T00:00:00.000Z"}"#
        }
        try Broker.produce(events, to: topic, keyField: "K", timeField: "Time")
        try """
            SET checkpoint_interval = '100ms';
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = 'g-\(topic)',
                stop = 'end', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM Events
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        for round in 1...2 {
            let (p, log) = try run(dir)
            #expect(p.terminationReason == .uncaughtSignal, "run \(round) crashes on the record: \(log.suffix(500))")
            #expect(FileManager.default.fileExists(atPath: dir + "/state/in-flight"), "run \(round) left its crash record")
        }
        let (last, log) = try run(dir)
        #expect(last.terminationStatus == 0, "the third run skips the record: \(log.suffix(800))")
        #expect(log.contains("]@") && log.contains("event skipped: the job crashed twice on this event (SIGILL)"), "\(log.suffix(800))")
        #expect(log.contains("malformed=1"), "the skipped record is counted: \(log.suffix(300))")
        let dead = try Broker.lines(dir + "/dead.jsonl").filter { $0.contains("\"reason\":\"poison\"") }
        #expect(dead.count == 1)
        #expect(dead.first?.contains("Poison") == true, "the dead letter holds the raw record")
        let ids = try Broker.lines(dir + "/out.jsonl").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["Id"] as? Int
        }
        let missing = Set(0..<3000).subtracting([poisonId]).subtracting(ids)
        #expect(missing.isEmpty, "\(missing.count) other records never reached the output")
        #expect(!ids.contains(poisonId), "the skipped record has no row")
        #expect(ids.count == 2999, "no record is written twice across the crashes (\(ids.count) rows)")
    }
}
