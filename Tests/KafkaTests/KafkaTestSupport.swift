import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// The real broker the integration tests talk to: `scripts/kafka-broker.sh start` exports its
/// address. Without it these tests are skipped, unless `SAQL_REQUIRE_KAFKA=1` (as `make test`
/// sets), when its absence is a failure.
enum Broker {
    static let address = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"]
    static let required = ProcessInfo.processInfo.environment["SAQL_REQUIRE_KAFKA"] == "1"
    static var available: Bool { address != nil || required }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func bootstrap() throws -> String {
        guard let a = address else { throw ConnectorError("KAFKA_BOOTSTRAP_SERVERS is not set: start the broker with scripts/kafka-broker.sh") }
        return a
    }

    /// A topic with `partitions` partitions and a unique name (or exactly `prefix`).
    static func topic(_ prefix: String, partitions: Int, exactName: Bool = false) throws -> String {
        let name = exactName ? prefix : "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let tansu = ProcessInfo.processInfo.environment["TANSU_BIN"] ?? ""
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tansu)
        p.arguments = ["topic", "create", "--broker", "tcp://\(try bootstrap())", "--partitions", "\(partitions)", name]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ConnectorError("cannot create topic \(name)") }
        return name
    }

    /// Produces JSON lines keyed by `keyField`, timestamped by the ISO time in `timeField`.
    static func produce(_ lines: [String], to topic: String, keyField: String, timeField: String) throws {
        let producer = try KafkaProducer(config: KafkaConfig([("bootstrap.servers", try bootstrap()), ("linger.ms", "5")]))
        for line in lines {
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let key = Array(((event[keyField] as? String) ?? "").utf8)
            let ms = Timestamp(parsing: event[timeField] as? String ?? "").map { $0.ticks / 10_000 } ?? 0
            try Array(line.utf8).withUnsafeBytes { v in
                try key.withUnsafeBytes { try producer.send(topic: topic, value: v, key: $0, timestampMs: ms) }
            }
        }
        try producer.flush(timeoutMs: 30_000)
        #expect(producer.failed == 0)
    }

    /// Reads a topic to the end of every partition (a fresh group), returning the values.
    static func readAll(_ topic: String, bootstrap: String? = nil) throws -> [String] {
        var settings = try clientSettings(group: "reader-\(UUID().uuidString)")
        if let bootstrap { settings[0].value = bootstrap }
        let consumer = try KafkaConsumer(config: KafkaConfig(settings), topics: [topic])
        defer { consumer.close() }
        var out: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let n = consumer.poll(max: 1000, timeoutMs: 200, onError: { _ in }) { out.append(String(decoding: $0.value, as: UTF8.self)) }
            let assigned = consumer.assignment
            if n == 0 && !assigned.isEmpty && Set(assigned).isSubset(of: consumer.atEnd) { break }
        }
        return out
    }

    /// Consumer settings for the test broker: fast group joins, low fetch latency.
    static func clientSettings(group: String) throws -> [(key: String, value: String)] {
        [("bootstrap.servers", try bootstrap()), ("group.id", group), ("auto.offset.reset", "earliest"),
         ("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "500"), ("fetch.wait.max.ms", "10")]
    }

    /// The same settings as job-file options.
    static func jobProperties() -> String {
        "properties.session.timeout.ms = '6000', properties.heartbeat.interval.ms = '500', properties.fetch.wait.max.ms = '10'"
    }

    /// Compiles and runs a job in-process until its inputs end; returns the counters.
    @discardableResult
    static func run(_ job: String, directory: String, environment: [String: String] = [:]) throws -> RuntimeCounters {
        var overrides = BindingOverrides()
        overrides.jobDirectory = directory
        overrides.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let source = SourceFile(name: "job.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        let run = try makeJobRun(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
        try run.run(until: { false })
        return run.context.counters
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-kafka-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

/// Secrets given through `properties.*` never appear in errors, plans or logs.
struct KafkaSecretTests {
    @Test func aBadValueIsReportedByItsKeyOnly() throws {
        let secret = "s3cr3t-Endpoint=sb://x;SharedAccessKey=abc"
        #expect {
            _ = try KafkaProducer(config: KafkaConfig([("bootstrap.servers", "127.0.0.1:1"), ("security.protocol", secret)]))
        } throws: { error in
            "\(error)".contains("'security.protocol'") && !"\(error)".contains(secret)
        }
    }

    @Test func explainShowsPropertyKeysNotValues() throws {
        let source = SourceFile(name: "job.saql", text: """
            CREATE INPUT T WITH (connector = 'kafka', brokers = 'h:9093', topic = 't', properties.sasl.password = '${EH_SECRET}');
            SELECT * INTO o FROM T
            """)
        var overrides = BindingOverrides()
        overrides.environment = ["EH_SECRET": "Endpoint=sb://ns/;SharedAccessKey=topsecret"]
        let (job, diagnostics) = Compiler.compile(source, overrides: overrides)
        #expect(!diagnostics.hasErrors)
        let plan = try #require(job).physical
        let text = Explain.physical(plan)
        #expect(text.contains("properties=[sasl.password]") && !text.contains("topsecret"))
    }
}
