import Planner

/// CSV with a header row taken from the first row's fields. Records and arrays are written as
/// ASA does ("Record", "Array"); NULL as an empty field.
final class CSVWriter: FileFormatWriter {
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
    var size: Int64 { sink.written + Int64(sink.buffer.count) }
    func finish() throws {
        try sink.sync()
        try sink.close()
    }
}
