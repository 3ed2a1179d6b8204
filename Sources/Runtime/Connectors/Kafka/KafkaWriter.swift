import Planner

/// Writes an output's rows as Kafka records: one JSON object (or one CSV line) each, keyed by the
/// `key` column's text when one is named, timestamped with the row's event time.
///
/// Every delivery is checked. A record librdkafka gives up on follows the job's output error
/// policy: `retry` sends it again after a capped, doubling backoff (100 ms to 30 s) until it is
/// delivered, and ``flush()`` waits for that, so input offsets never pass an undelivered row; `drop`
/// counts it as an output error and dead-letters it. Inside a ``KafkaTransaction`` a failed record
/// fails the transaction instead (no policy can keep a transaction's records in order).
final class KafkaWriter: RowWriter {
    private let producer: KafkaProducer
    private let transaction: KafkaTransaction?
    private let options: KafkaOutputOptions
    private let policy: OutputErrorPolicy
    private let context: RuntimeContext
    private let output: String
    private var payload: [UInt8] = []
    /// Failed records waiting for their retry (policy `retry`).
    private var pending: [FailedRecord] = []
    private var backoffMs: Int64 = 100
    private var retryAt: Int64 = 0
    private var deliveredBeforeRetry = 0
    private var lastReport: Int64 = .min

    init(output: String, options: KafkaOutputOptions, policy: OutputErrorPolicy, transaction: KafkaTransaction?,
         context: RuntimeContext) throws {
        if let transaction {
            producer = transaction.producer
        } else {
            var config = KafkaConfig(options.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            config.setDefault("bootstrap.servers", options.brokers)
            producer = try KafkaProducer(config: config)
        }
        self.transaction = transaction
        self.options = options
        self.policy = policy
        self.context = context
        self.output = output
        if transaction == nil { producer.onFailure = { [unowned self] in self.failed($0) } }
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
        try send(FailedRecord(topic: options.topic, value: payload, key: key, timestampMs: row.time.floorDiv(10_000), error: ""))
        producer.serveReports(timeoutMs: 0)
        try retryDue()
    }

    private func send(_ r: FailedRecord) throws {
        do {
            try r.value.withUnsafeBytes { value in
                if let key = r.key {
                    try key.withUnsafeBytes { try producer.send(topic: r.topic, value: value, key: $0, timestampMs: r.timestampMs) }
                } else {
                    try producer.send(topic: r.topic, value: value, key: nil, timestampMs: r.timestampMs)
                }
            }
        } catch let error as ConnectorError where policy == .drop {
            // Refused before sending (too large, unknown topic, ...): no retry can succeed.
            var r = r
            r.error = error.message
            dropped(r)
        }
    }

    private func failed(_ r: FailedRecord) {
        guard policy == .retry else { return dropped(r) }
        context.counters.outputRetries += 1
        if pending.isEmpty {
            retryAt = context.clock.now + backoffMs * 10_000
            deliveredBeforeRetry = producer.delivered
        }
        pending.append(r)
        report("kafka output '\(output)': delivery failed (\(r.error)); retrying \(pending.count) record(s) in \(backoffMs) ms")
    }

    private func dropped(_ r: FailedRecord) {
        context.counters.outputErrors += 1
        report("kafka output '\(output)': record dropped (\(r.error))")
        context.deadLetter?(DeadLetter(reason: .outputError, input: output, detail: r.error,
                                       event: Record(names: ["raw"], values: [.string(String(decoding: r.value.prefix(4096), as: UTF8.self))]),
                                       arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil,
                                       position: "\(r.topic)"))
    }

    /// Sends the failed records again once their backoff has passed.
    private func retryDue() throws {
        guard !pending.isEmpty, context.clock.now >= retryAt else { return }
        // Deliveries since the failures mean the destination recovered: start the backoff again.
        backoffMs = producer.delivered > deliveredBeforeRetry ? 100 : min(backoffMs * 2, 30_000)
        let batch = pending
        pending = []
        for r in batch { try send(r) }
    }

    /// At most one line every 10 s per output: an outage fails many records at once.
    private func report(_ line: String) {
        let now = context.clock.now
        guard now >= lastReport.addingSaturating(10 * Timestamp.ticksPerSecond) else { return }
        lastReport = now
        context.onRowError?(line)
    }

    /// Returns when every record written so far is delivered (`retry`: however long that takes) or
    /// dropped (`drop`).
    func flush() throws {
        if let transaction {
            try producer.flush(timeoutMs: 60_000)
            return try transaction.checkDeliveries()
        }
        while true {
            producer.serveReports(timeoutMs: 10)
            try retryDue()
            if producer.outstanding == 0 && pending.isEmpty { return }
            if !pending.isEmpty && context.isStopping() {
                throw ConnectorError("kafka output '\(output)': stopped while retrying; \(pending.count + producer.outstanding) record(s) not delivered")
            }
        }
    }

    func close() throws { try flush() }
}
