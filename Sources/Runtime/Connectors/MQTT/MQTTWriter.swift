import Planner

/// Publishes each row as one MQTT message (JSON, or one CSV line) to the output's topic, whose
/// `{Column}` parts are filled from the row (`devices/{DeviceId}/commands`). With QoS 1 a flush and
/// a checkpoint wait for the broker's acknowledgement of every message: at least once.
final class MQTTWriter: RowWriter {
    private let client: MQTTClient
    private let options: MQTTOutputOptions
    private let output: String
    private let context: RuntimeContext
    private var payload: [UInt8] = []

    init(output: String, options: MQTTOutputOptions, context: RuntimeContext) throws {
        self.output = output
        self.options = options
        self.context = context
        client = try MQTTClient(endpoint: options.endpoint, context: context)
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        payload.removeAll(keepingCapacity: true)
        if options.format == .csv {
            for (i, v) in shape.record(row).values.enumerated() {
                if i > 0 { payload.append(0x2C) }
                CSVWriter.appendField(v, to: &payload)
            }
        } else {
            shape.appendJSON(row, to: &payload)
        }
        guard let topic = topic(for: row, shape: shape) else { return }
        // Message ids are 16 bits: past a window of unacknowledged messages they would repeat, and
        // an acknowledgement could not tell them apart. The window also bounds what waits in memory.
        try waitForAcknowledgements(atMost: Self.window - 1)
        try client.publish(topic: topic, payload: payload, qos: options.qos, retain: options.retain)
        client.pump(timeoutMs: 0)
    }

    /// Messages sent and not yet acknowledged, at most.
    static let window = 1_000

    /// The row's topic; nil (dead-lettered) when a column it names is NULL or absent.
    private func topic(for row: RowRef, shape: RowShape) -> String? {
        guard options.topic.contains(where: \.isColumn) else { return options.topic.map(\.text).joined() }
        var parts: [String] = []
        for part in options.topic {
            guard part.isColumn else { parts.append(part.text); continue }
            var found: Value = .null
            shape.forEachField(row) { field, value in if field.caseInsensitiveEquals(part.text) { found = value } }
            guard let text = Conversions.string(found) else {
                let detail = "topic column '\(part.text)' is NULL or missing"
                context.counters.outputErrors += 1
                context.onRowError?("mqtt output '\(output)': row dropped: \(detail)")
                context.deadLetter?(DeadLetter(reason: .outputError, input: output, detail: detail,
                                               event: Record(names: ["raw"], values: [.string(String(decoding: payload.prefix(4096), as: UTF8.self))]),
                                               arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: nil))
                return nil
            }
            parts.append(text)
        }
        return parts.joined()
    }

    /// Waits until the broker has acknowledged every message (reconnecting as needed).
    func flush() throws { try waitForAcknowledgements(atMost: 0) }

    /// How long a connected broker may leave every message unacknowledged before they are sent again.
    static let stallSeconds: Int64 = 10

    private func waitForAcknowledgements(atMost count: Int) throws {
        var waiting = client.unacknowledged.count
        var progressAt = context.clock.now
        var resends = 0
        while client.unacknowledged.count > count {
            client.pump(timeoutMs: 10)
            let now = context.clock.now
            if client.unacknowledged.count < waiting || !client.connected {
                waiting = client.unacknowledged.count
                progressAt = now
            } else if now - progressAt > Self.stallSeconds * Timestamp.ticksPerSecond {
                let n = try client.resendUnacknowledged()
                context.counters.outputRetries += n
                context.onRowError?("mqtt output '\(output)': no acknowledgement for \(Self.stallSeconds) s; \(n) message(s) sent again")
                resends += 1
                progressAt = now
                // A stopping job does not wait on a silent broker forever: the rows are reported, not lost silently.
                if context.isStopping() && resends >= 3 {
                    throw ConnectorError("mqtt output '\(output)': stopped; \(n) message(s) not acknowledged in \(3 * Self.stallSeconds) s of silence from the broker")
                }
            }
            if context.isStopping() && !client.connected {
                throw ConnectorError("mqtt output '\(output)': stopped while the broker was away; \(client.unacknowledged.count) message(s) not acknowledged")
            }
        }
    }

    func close() throws { try flush() }
}
