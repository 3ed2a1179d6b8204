import Planner

/// Receives an output's rows as field lists; one instance per output.
public protocol RowWriter: AnyObject {
    func write(_ row: RowRef, shape: RowShape) throws
    /// Makes everything written so far reach its destination (before input offsets are committed).
    func flush() throws
    func close() throws
    /// Makes everything written so far durable and returns the position to resume from after a
    /// restart (see ``Pipeline``'s checkpoints); empty when the destination needs none.
    func checkpoint() throws -> [UInt8]
    /// No later row will have an event time below `time`.
    func watermark(_ time: Int64) throws
}

extension RowWriter {
    public func watermark(_ time: Int64) throws {}

    public func checkpoint() throws -> [UInt8] {
        try flush()
        return []
    }
}

/// The resume position of a file writer: its length.
func filePosition(_ sink: ByteSink) throws -> [UInt8] {
    try sink.sync()
    var w = StateWriter()
    w.write(sink.written)
    return w.bytes
}

/// Reads a position written by ``filePosition(_:)``.
func fileResumeOffset(_ position: [UInt8]?) throws -> Int64? {
    guard let position, !position.isEmpty else { return nil }
    var r = StateReader(bytes: position)
    return try r.readInt64()
}

/// Writes an output: every input port is one `SELECT ... INTO` statement with its own row shape.
public final class SinkOperator: PortClockOperator {
    let name: String
    private let shapes: [RowShape]
    private let writer: RowWriter
    private var clock: PortClock
    var portClock: PortClock {
        get { clock }
        set { clock = newValue }
    }
    private let counters: RuntimeCounters
    private var closed = false

    public init(name: String, schemas: [Schema], writer: RowWriter, context: RuntimeContext) {
        self.name = name
        shapes = schemas.map(RowShape.init)
        self.writer = writer
        clock = PortClock(ports: schemas.count)
        counters = context.counters
    }

    public func process(_ batch: EventBatch, port: Int) throws {
        let shape = shapes[port]
        try batch.forEachRow { _, row in try writer.write(row, shape: shape) }
        counters.outputRows[name, default: 0] += batch.count
    }

    public func watermark(_ time: Int64, port: Int) throws {
        let before = clock.combined
        let now = clock.advance(port, to: time)
        if now > before && !closed { try writer.watermark(now) }
    }

    public func finish(port: Int) throws {
        if clock.end(port) { try close() }
    }

    /// Flushes the writer (everything written so far reaches its destination).
    public func flush() throws { if !closed { try writer.flush() } }

    /// The writer's durable resume position (see ``RowWriter/checkpoint()``).
    func checkpointPosition() throws -> [UInt8] { closed ? closedPosition : try writer.checkpoint() }
    /// The position when the writer closed (its final length).
    private var closedPosition: [UInt8] = []

    /// Flushes and closes the writer; safe to call more than once.
    public func close() throws {
        guard !closed else { return }
        closedPosition = try writer.checkpoint()
        closed = true
        try writer.close()
    }
}

/// JSON Lines to a file or standard output.
final class JSONLinesWriter: RowWriter {
    private let sink: ByteSink

    init(sink: ByteSink) { self.sink = sink }

    func write(_ row: RowRef, shape: RowShape) throws {
        shape.appendJSON(row, to: &sink.buffer)
        sink.buffer.append(0x0A)
        try sink.maybeFlush()
    }

    func flush() throws { try sink.flush() }
    func close() throws { try sink.close() }
    func checkpoint() throws -> [UInt8] { try filePosition(sink) }
}

/// CSV with a header row taken from the first row's fields. Records and arrays are written as
/// ASA does ("Record", "Array"); NULL as an empty field.
final class CSVWriter: RowWriter {
    private let sink: ByteSink
    private var header: [String]?

    init(sink: ByteSink) {
        self.sink = sink
        if sink.written > 0 { header = [] }  // resumed: the header is written
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        let record = shape.record(row)
        if header == nil {
            header = record.names
            appendLine(record.names.map(Value.string))
        }
        appendLine(record.values)
        try sink.maybeFlush()
    }

    private func appendLine(_ values: [Value]) {
        for (i, v) in values.enumerated() {
            if i > 0 { sink.buffer.append(0x2C) }
            Self.appendField(v, to: &sink.buffer)
        }
        sink.buffer.append(0x0A)
    }

    /// One CSV field, quoted when it holds a comma, a quote or a line break.
    static func appendField(_ v: Value, to out: inout [UInt8]) {
        let text: String
        switch v {
        case .null: return
        case .record: text = "Record"
        case .array: text = "Array"
        case .bit(let b): text = b ? "true" : "false"
        default: text = Conversions.string(v) ?? ""
        }
        if text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            out.append(0x22)
            for b in text.utf8 {
                if b == 0x22 { out.append(0x22) }
                out.append(b)
            }
            out.append(0x22)
        } else {
            out.append(contentsOf: text.utf8)
        }
    }

    func flush() throws { try sink.flush() }
    func close() throws { try sink.close() }
    func checkpoint() throws -> [UInt8] { try filePosition(sink) }
}

/// Hands rows to a closure as records (the embedding API).
final class CallbackWriter: RowWriter {
    private let onRow: (Record, Int64) -> Void
    private let onClose: () -> Void

    init(onRow: @escaping (Record, Int64) -> Void, onClose: @escaping () -> Void) {
        self.onRow = onRow
        self.onClose = onClose
    }

    func write(_ row: RowRef, shape: RowShape) throws { onRow(shape.record(row), row.time) }
    func flush() throws {}
    func close() throws { onClose() }
}
