import Planner

/// Reads the messages of an MQTT topic filter as events, one message per event (JSON or one CSV
/// line). MQTT keeps no offsets, so a checkpoint holds no position: with QoS 1 and a persistent
/// session the broker keeps the messages published while the job is stopped, and delivers them
/// when it is back. Messages the job had received but not yet checkpointed when it crashed are not
/// delivered again (the client acknowledges on receipt): MQTT inputs are at most once across a
/// crash, and complete across a stop.
final class MQTTSource: EventSource {
    let input: String
    private let client: MQTTClient
    private var decoder: EventDecoder
    private let context: RuntimeContext
    private let metadataColumns: [(column: Int, property: MetadataProperty)]

    init(input: String, options: MQTTInputOptions, layout: InputLayout, compatibility: CompatibilityLevel, context: RuntimeContext) throws {
        self.input = input
        self.context = context
        client = try MQTTClient(endpoint: options.endpoint, context: context)
        try client.subscribe(options.topic, qos: options.qos)
        decoder = EventDecoder(layout: layout, format: options.format, arrivalField: nil, compatibility: compatibility)
        metadataColumns = layout.fields.enumerated().compactMap { i, field in
            MetadataProperty(layoutField: field).map { (layout.column(ofField: i), $0) }
        }
    }

    /// A GetMetadataPropertyValue property of a message; arrival is its receive time.
    static func metadata(_ property: MetadataProperty, of m: MQTTClient.Message, arrival: Int64) -> Value {
        switch property {
        case .topic: return .string(m.topic)
        case .qos: return .bigint(Int64(m.qos))
        case .retain: return .bit(m.retain)
        case .messageId: return .bigint(Int64(m.mid))
        case .enqueuedTime, .processedTime: return .datetime(Timestamp(ticks: arrival))
        case .group(.mqtt):
            let members = MetadataProperty.members(of: .mqtt)
            return .record(Record(names: members.map(\.0), values: members.map { metadata($0.1, of: m, arrival: arrival) }))
        default: return .null
        }
    }

    var isLive: Bool { true }
    var position: [UInt8] { [] }
    func restore(position: [UInt8]) throws {}

    func nextBatch(maxRows: Int) throws -> EventBatch? {
        client.pump(timeoutMs: client.received.isEmpty ? 100 : 0)
        // Drain what the socket already holds, up to a batch.
        var before = -1
        while client.received.count < maxRows && client.received.count != before {
            before = client.received.count
            client.pump(timeoutMs: 0)
        }
        let taken = client.received.prefix(maxRows)
        client.received.removeFirst(taken.count)
        var batch = EventBatch(width: decoder.width, capacity: taken.count)
        let arrival = context.clock.now
        var count = 0
        for m in taken {
            let rowsBefore = batch.count
            do throws(DecodeError) {
                try m.payload.withUnsafeBufferPointer { (p) throws(DecodeError) in try decoder.decode(p, into: &batch, defaultArrival: arrival) }
                guard batch.count > rowsBefore else { continue }
                count += 1
                for (column, property) in metadataColumns {
                    batch.values[rowsBefore * batch.width + column] = Self.metadata(property, of: m, arrival: arrival)
                }
            } catch {
                context.counters.malformedEvents += 1
                context.onRowError?("\(client.endpoint.name) topic '\(m.topic)': malformed event skipped: \(error.message)")
                context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: error.message,
                                               event: Record(names: ["raw"], values: [.string(String(decoding: m.payload.prefix(4096), as: UTF8.self))]),
                                               arrivalTime: arrival, watermark: nil, originalTime: nil, adjustedTime: nil,
                                               position: m.topic))
            }
        }
        context.counters.inputEvents[input, default: 0] += count
        return batch
    }
}
