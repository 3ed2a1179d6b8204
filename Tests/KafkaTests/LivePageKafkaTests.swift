import Foundation
import Planner
import Testing

/// The live page of a job reading Kafka: each partition's watermark gets its own line, beside the
/// input's, and the consumer lag per partition is reported.
@Suite(.enabled(if: Broker.available, "needs KAFKA_BOOTSTRAP_SERVERS (scripts/kafka-broker.sh start)"))
struct LivePageKafkaTests {
    @Test func eachPartitionsWatermarkIsOnThePage() throws {
        let topic = try Broker.topic("live", partitions: 2)
        let dir = try Broker.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let events = (0..<400).map { i in
            #"{"Id":\#(i),"K":"k\#(i % 5)","Time":"\#(Timestamp(ticks: Timestamp(year: 2024, month: 1, day: 1).ticks + Int64(i) * Timestamp.ticksPerSecond).iso8601)"}"#
        }
        try Broker.produce(events, to: topic, keyField: "K", timeField: "Time")
        try """
            CREATE INPUT Events WITH (connector = 'kafka', brokers = '${KAFKA_BOOTSTRAP_SERVERS}', topic = '\(topic)', group_id = 'g-\(topic)',
                stop = 'never', \(Broker.jobProperties()));
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT Id INTO Out FROM Events
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Broker.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/job.saql", "--ui", "127.0.0.1:0"]
        _ = FileManager.default.createFile(atPath: dir + "/run.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: dir + "/run.log")
        try p.run()
        defer {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        var url: String?
        var history = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.25)
            let log = (try? String(contentsOfFile: dir + "/run.log", encoding: .utf8)) ?? ""
            if url == nil, let r = log.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression) { url = String(log[r]) }
            guard let url else { continue }
            history = try curl(url + "api/history")
            if history.contains("Events · partition 0") && history.contains("Events · partition 1") && history.contains(#""lags":"#) { break }
        }
        #expect(url != nil, "the run prints its page's address")
        #expect(history.contains("Events · partition 0") && history.contains("Events · partition 1"),
                "each partition's watermark is on the page: \(history.prefix(600))")
        #expect(history.contains(#""lags":[{"#), "the consumer lag per partition is on the page")
        #expect(history.contains(#""arrivalDelay":"#) && history.contains(#""wallDelay":"#))
    }

    /// A GET through curl (Foundation's URL loading needs FoundationNetworking on Linux).
    func curl(_ url: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["curl", "-s", "--max-time", "5", url]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
