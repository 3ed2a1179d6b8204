import CRdKafka
import Foundation

/// What a bounded run (`stop = 'end'`) must read before it may end: every partition of its topic up
/// to the end offset it had when the run started, whichever member of the group reads it.
///
/// End offsets come from fetching, not from ListOffsets (which Tansu answers wrongly, see
/// `../shared/kafka`): a consumer outside the group is assigned every partition at its end, and
/// each partition's end-of-partition event carries its offset.
struct TopicEnds {
    let topic: String
    /// The end offset of each partition at the run's start.
    let ends: [Int32: Int64]

    init(config: KafkaConfig, topic: String, timeoutMs: Int = 15_000) throws {
        self.topic = topic
        let probe = try KafkaConsumer(config: config)
        let partitions = try probe.partitions(of: topic, timeoutMs: Int32(min(timeoutMs, 10_000)))
        try probe.assign(partitions.map { (topic, $0, Int64(RD_KAFKA_OFFSET_END)) })
        var ends: [Int32: Int64] = [:]
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while ends.count < partitions.count && Date() < deadline {
            probe.pollEnds(timeoutMs: 100) { ends[$0] = $1 }
        }
        guard ends.count == partitions.count else {
            throw ConnectorError("kafka input: cannot learn where partitions \(partitions.filter { ends[$0] == nil }) of '\(topic)' end")
        }
        self.ends = ends
    }

    /// The partitions outside `assigned` whose group offset has not reached its end: another
    /// member holds them (a live one reading, or a dead one until its session expires).
    func unfinished(outside assigned: [Int32], consumer: KafkaConsumer) -> [Int32] {
        let others = ends.keys.filter { !assigned.contains($0) }.sorted()
        guard !others.isEmpty else { return [] }
        let committed = consumer.committed(topic: topic, partitions: others)
        return others.filter { p in
            guard let end = ends[p], end > 0 else { return false }
            return (committed[p] ?? -1) < end
        }
    }
}
