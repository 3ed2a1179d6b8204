/// Whether a job reading Kafka can run as several processes in one consumer group and give,
/// across them, exactly one process's rows: that holds when every stateful operator's groups live
/// in one partition, i.e. the topic is keyed by a column every such operator keys on.
package enum ScaleOut: Equatable, Sendable {
    /// No operator keeps state: any split of the partitions gives the same rows.
    case stateless
    /// Partition-local when the topics are keyed by one of these columns (`PartitionId` always is).
    case keyed([String])
    /// Not partition-local; the text names the operator whose groups span partitions.
    case spansPartitions(String)

    /// The verdict for `plan`, or `nil` when it reads no Kafka topic.
    package static func analyze(_ plan: PhysicalPlan) -> ScaleOut? {
        guard plan.nodes.contains(where: { $0.partitionedInput != nil }) else { return nil }
        var common: [String]?
        for node in plan.nodes {
            let p = ExprPrinter(schema: node.inputSchemas.first ?? Schema(columns: []))
            let names: [String]
            switch node.kind {
            case .windowAggregate(let w): names = w.keys.map { keyName(p.print($0)) }
            case .join(let j): names = j.leftKeys.map { keyName(p.print($0)) }
            case .matchRecognize(let m): names = m.partitionBy.map { keyName(p.print($0)) }
            case .analytic(let calls):
                let sets = calls.map { Set($0.partitionBy.map { keyName(p.print($0)) }) }
                let shared = sets.dropFirst().reduce(sets.first ?? []) { $0.intersection($1) }
                if shared.isEmpty {
                    return .spansPartitions("#\(node.id) Analytic has no common PARTITION BY (its history spans partitions)")
                }
                names = shared.sorted()
            default: continue
            }
            if names.isEmpty {
                let op = Explain.describe(node).prefix { $0 != ":" }
                return .spansPartitions("#\(node.id) \(op) has no keys (its groups span partitions)")
            }
            common = common.map { c in c.filter { n in names.contains { $0.caseInsensitiveEquals(n) } } } ?? names
        }
        guard let common else { return .stateless }
        return common.isEmpty ? .spansPartitions("the stateful operators share no key") : .keyed(common)
    }

    package var isPartitionLocal: Bool {
        if case .spansPartitions = self { return false }
        return true
    }

    /// One line for EXPLAIN.
    package var detail: String {
        switch self {
        case .stateless: return "partition-local: no operator keeps state"
        case .keyed(let keys): return "partition-local when the topics are keyed by one of: \(keys.joined(separator: ", "))"
        case .spansPartitions(let why): return "not partition-local: \(why)"
        }
    }

    /// `a.DeviceId` → `DeviceId`: the key's column name, whatever relation it came through.
    private static func keyName(_ printed: String) -> String {
        printed.contains("(") ? printed : printed.split(separator: ".").last.map(String.init) ?? printed
    }
}

extension PhysicalPlan {
    /// The `state_topic` of the plan's partitioned input, when it keeps partition state there.
    package var stateTopic: String? { nodes.lazy.compactMap { $0.partitionedInput?.stateTopic }.first }
}

extension PhysicalNode {
    /// The endpoint of a source node reading a partitioned log (a Kafka topic).
    package var partitionedInput: (any InputEndpoint)? {
        guard case .source(let b, _) = kind, b.endpoint.partitionedTopic != nil else { return nil }
        return b.endpoint
    }
}
