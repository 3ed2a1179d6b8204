import Planner

/// The latest state of each partition of a Kafka input, kept in a Kafka topic (`state_topic`) so
/// that whichever process of the consumer group owns a partition next can continue from it.
///
/// Records go to partition 0 of the state topic, keyed `<input topic>/<partition>`, valued with an
/// encoded ``Checkpoint`` (operators, watermarks, and the partition's next offset). The latest
/// record per key wins, so a compacted topic (`cleanup.policy=compact`) keeps it small. A save
/// returns once the broker has acknowledged the record: state saved before a partition is revoked
/// is there before another member is assigned it. A missing state topic is created (one
/// partition, compacted).
final class PartitionStateStore {
    let topic: String
    private let inputTopic: String
    private let producer: KafkaProducer
    private let reader: KafkaConsumer
    /// The latest state read per key, and where reading goes on.
    private var latest: [String: [UInt8]] = [:]
    private var nextOffset: Int64 = 0
    private let timeoutMs: Int

    private let clock: any Clock

    init(input: KafkaInputOptions, stateTopic: String, clock: any Clock, timeoutMs: Int = 30_000) throws {
        self.clock = clock
        topic = stateTopic
        inputTopic = input.topic
        self.timeoutMs = timeoutMs
        // The input's settings (security) serve the state topic too; consumer-only ones would make
        // librdkafka warn on the producer, so they are left out there.
        let shared = input.properties.filter { !Self.consumerOnly($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var p = KafkaConfig(shared)
        p.setDefault("bootstrap.servers", input.brokers)
        p.setDefault("acks", "all")
        p.setDefault("linger.ms", "0")
        producer = try KafkaProducer(config: p)
        try producer.createTopic(stateTopic, partitions: 1, config: [("cleanup.policy", "compact")])
        var c = KafkaConfig(input.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        c.setDefault("bootstrap.servers", input.brokers)
        c.properties.removeAll { $0.key == "group.id" }
        c.properties.append(("group.id", "\(input.groupId).saql-state-reader"))
        reader = try KafkaConsumer(config: c)
    }

    /// librdkafka's consumer-only properties (CONFIGURATION.md, "C" column).
    static func consumerOnly(_ key: String) -> Bool {
        ["fetch.", "queued.", "group.", "auto.", "enable.auto.", "partition.assignment", "heartbeat.", "session.timeout",
         "max.poll", "enable.partition.eof", "isolation.level", "check.crcs", "coordinator.", "consume."]
            .contains { key.hasPrefix($0) }
    }

    private func key(_ partition: Int32) -> String { "\(inputTopic)/\(partition)" }

    /// Stores a partition's state (several may be queued; ``flush()`` waits for them).
    func save(partition: Int32, state: [UInt8]) throws {
        let key = Array(key(partition).utf8)
        try state.withUnsafeBytes { value in
            try key.withUnsafeBytes { try producer.send(topic: topic, partition: 0, value: value, key: $0) }
        }
    }

    /// Waits until every saved state is acknowledged.
    func flush() throws {
        let failed = producer.failed
        try producer.flush(timeoutMs: timeoutMs)
        guard producer.failed == failed else {
            throw StateError("state topic '\(topic)': \(producer.failed - failed) partition states not stored: \(producer.lastError ?? "unknown error")")
        }
    }

    /// The latest stored state of each of `partitions` that has one, after reading the topic to its end.
    func load(_ partitions: [Int32]) throws -> [Int32: [UInt8]] {
        try reader.assign([(topic, 0, nextOffset)])
        let deadline = clock.now + Int64(timeoutMs) * 10_000
        var failure: String?
        while !reader.atEnd.contains(0) {
            guard clock.now < deadline else {
                throw StateError("state topic '\(topic)': not read to its end within \(timeoutMs / 1000) s"
                    + (failure.map { " (\($0))" } ?? "") + "; create it with one partition")
            }
            reader.poll(max: 1024, timeoutMs: 100, onError: { failure = $0 }) { record in
                guard let key = record.key else { return }
                latest[String(decoding: key, as: UTF8.self)] = Array(record.value)
                nextOffset = record.offset + 1
            }
        }
        var out: [Int32: [UInt8]] = [:]
        for p in partitions { if let s = latest[key(p)], !s.isEmpty { out[p] = s } }
        return out
    }

    func close() { reader.close() }
}
