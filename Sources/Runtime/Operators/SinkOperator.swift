import Planner

/// Writes an output: every input port is one `SELECT ... INTO` statement with its own row shape.
/// The statements' rows are merged into event-time order (see ``TimeMerge``).
package final class SinkOperator: TimeMergingOperator {
    package var name: String { "Sink" }
    /// Sinks have no consumers.
    package let downstream = Downstream()
    /// The output's name.
    let output: String
    private let shapes: [RowShape]
    private let writer: RowWriter
    @exclusivity(unchecked) var merge: TimeMerge
    private let counters: RuntimeCounters
    private var closed = false
    /// The live page's view of the rows (``RuntimeContext/outputTap``), and whether it gets every
    /// row or the last few of each batch.
    private let tap: ((String, [(row: Record, time: Int64)]) -> Void)?
    private let tapsEveryRow: Bool

    package init(name: String, schemas: [Schema], writer: RowWriter, context: RuntimeContext, tapsEveryRow: Bool = false) {
        output = name
        shapes = schemas.map(RowShape.init)
        self.writer = writer
        merge = TimeMerge(widths: schemas.map(\.columns.count))
        counters = context.counters
        tap = context.outputTap
        self.tapsEveryRow = tapsEveryRow
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        if merge.merges { merge.add(batch, port: port) } else { try write(batch, port: port) }
    }

    private func write(_ batch: EventBatch, port: Int) throws {
        let shape = shapes[port]
        try batch.forEachRow { _, row in try writer.write(row, shape: shape) }
        counters.outputRows[output, default: 0] += batch.count
        if let tap {
            // A page shows the last rows and charts points; a sample of a busy output is enough.
            let first = tapsEveryRow ? 0 : max(0, batch.count - 16)
            var rows: [(row: Record, time: Int64)] = []
            batch.forEachRow { i, row in if i >= first { rows.append((shape.record(row), row.time)) } }
            tap(output, rows)
        }
    }

    package func watermark(_ w: Watermark, port: Int) throws {
        let before = merge.clock.combined
        let (now, released) = merge.advance(port, to: w)
        for r in released { try write(r.rows, port: r.port) }
        if now > before && !closed { try writer.watermark(now.time) }
    }

    package func finish(port: Int) throws {
        let (allEnded, _, released) = merge.end(port)
        for r in released { try write(r.rows, port: r.port) }
        if allEnded { try close() }
    }

    /// Flushes the writer (everything written so far reaches its destination).
    package func flush() throws { if !closed { try writer.flush() } }

    /// The writer's durable resume position (see ``RowWriter/checkpoint()``).
    func checkpointPosition() throws -> [UInt8] { closed ? closedPosition : try writer.checkpoint() }
    /// The position when the writer closed (its final length).
    private var closedPosition: [UInt8] = []

    /// Flushes and closes the writer; safe to call more than once.
    package func close() throws {
        guard !closed else { return }
        closedPosition = try writer.checkpoint()
        closed = true
        try writer.close()
    }
}
