import Planner

/// Writes rejected events as JSON Lines: the event as it came (or its raw text when it could not be
/// read), why it was rejected, where it came from, and the times that decided it:
///
/// ```
/// {"reason":"late","input":"Telemetry","detail":"...","position":"data.jsonl:17",
///  "arrival_time":"...","watermark":"...","original_time":"...","adjusted_time":"...","event":{...}}
/// ```
///
/// Adjusted events are reported too (they were processed, with a moved timestamp).
final class DeadLetterWriter {
    private let sink: ByteSink
    private var failed: Error?

    init(binding: OutputBinding, resumeAt: Int64? = nil) throws {
        guard let endpoint = binding.endpoint as? any ByteStreamEndpoint else {
            throw ConnectorError("the dead-letter output must be a file or stdout, not \(binding.endpoint.connector)")
        }
        sink = try endpoint.makeByteSink(resumeAt: resumeAt)
    }

    func write(_ d: DeadLetter) {
        var fields: [(String, Value)] = [("reason", .string(d.reason.rawValue)), ("input", .string(d.input)), ("detail", .string(d.detail))]
        if let p = d.position { fields.append(("position", .string(p))) }
        for (name, t) in [("arrival_time", d.arrivalTime), ("watermark", d.watermark), ("original_time", d.originalTime),
                          ("adjusted_time", d.adjustedTime)] {
            if let t { fields.append((name, .datetime(Timestamp(ticks: t)))) }
        }
        fields.append(("event", d.event.map(Value.record) ?? .null))
        JSONWriter.append(.record(Record(names: fields.map(\.0), values: fields.map(\.1))), to: &sink.buffer)
        sink.buffer.append(0x0A)
        do { try sink.maybeFlush() } catch { failed = failed ?? error }
    }

    func flush() throws {
        if let failed { throw failed }
        try sink.flush()
    }

    func close() throws {
        if let failed { throw failed }
        guard closedPosition == nil else { return }
        closedPosition = try filePosition(sink)
        try sink.close()
    }

    private var closedPosition: [UInt8]?

    /// Durable position for checkpoints (see ``RowWriter/checkpoint()``).
    func checkpoint() throws -> [UInt8] {
        if let failed { throw failed }
        return try closedPosition ?? filePosition(sink)
    }
}
