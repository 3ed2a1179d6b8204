import Planner

/// JSON Lines to a file or standard output.
final class JSONLinesWriter: FileFormatWriter {
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
    var size: Int64 { sink.written + Int64(sink.buffer.count) }
    func finish() throws {
        try sink.sync()
        try sink.close()
    }
}
