import Planner

/// Writes an output's rows as Kafka records: one JSON object (or one CSV line) each, keyed by the
/// `key` column's text when one is named, timestamped with the row's event time. Every delivery is
/// checked; failed records (after librdkafka's own retries) are counted as output errors.
final class KafkaWriter: RowWriter {
    private let producer: KafkaProducer
    private let options: KafkaOutputOptions
    private let context: RuntimeContext
    private let output: String
    private var payload: [UInt8] = []
    private var reportedFailures = 0

    init(output: String, options: KafkaOutputOptions, context: RuntimeContext) throws {
        var config = KafkaConfig(options.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        config.setDefault("bootstrap.servers", options.brokers)
        producer = try KafkaProducer(config: config)
        self.options = options
        self.context = context
        self.output = output
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        payload.removeAll(keepingCapacity: true)
        var key: [UInt8]?
        if options.format == .csv {
            for (i, v) in shape.record(row).values.enumerated() {
                if i > 0 { payload.append(0x2C) }
                CSVWriter.appendField(v, to: &payload)
            }
        } else {
            shape.appendJSON(row, to: &payload)
        }
        if let name = options.key {
            var found: Value = .null
            shape.forEachField(row) { field, value in if field.caseInsensitiveEquals(name) { found = value } }
            key = Conversions.string(found).map { Array($0.utf8) }
        }
        let timestampMs = row.time.floorDiv(10_000)
        try payload.withUnsafeBytes { value in
            if let key {
                try key.withUnsafeBytes { try producer.send(topic: options.topic, value: value, key: $0, timestampMs: timestampMs) }
            } else {
                try producer.send(topic: options.topic, value: value, key: nil, timestampMs: timestampMs)
            }
        }
        producer.serveReports(timeoutMs: 0)
        countFailures()
    }

    func flush() throws {
        try producer.flush(timeoutMs: 60_000)
        countFailures()
    }

    func close() throws { try flush() }

    private func countFailures() {
        let new = producer.failed - reportedFailures
        guard new > 0 else { return }
        reportedFailures = producer.failed
        context.counters.outputErrors += new
        context.onRowError?("kafka output '\(output)': \(new) record(s) not delivered: \(producer.lastError ?? "unknown error")")
    }
}
