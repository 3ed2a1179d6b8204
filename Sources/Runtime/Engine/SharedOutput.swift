import Planner

/// One output's writer and its members' watermarks.
final class SharedOutput {
    let writer: RowWriter
    private var watermarks: [ObjectIdentifier: Int64] = [:]
    private var forwarded = Int64.min

    init(writer: RowWriter) { self.writer = writer }

    fileprivate func join(_ m: Member) { watermarks[ObjectIdentifier(m)] = .min }

    fileprivate func leave(_ m: Member) throws {
        watermarks[ObjectIdentifier(m)] = nil
        try forward()
    }

    fileprivate func advance(_ m: Member, to time: Int64) throws {
        watermarks[ObjectIdentifier(m)] = time
        try forward()
    }

    private func forward() throws {
        guard let low = watermarks.values.min(), low > forwarded else { return }
        forwarded = low
        try writer.watermark(low)
    }

    /// One pipeline's view of the output. Its checkpoint position is empty: a shared output is not
    /// cut back to a checkpoint (partitioned runs deliver at least once).
    final class Member: RowWriter {
        private let output: SharedOutput
        private var left = false

        init(output: SharedOutput) {
            self.output = output
            output.join(self)
        }

        func write(_ row: RowRef, shape: RowShape) throws { try output.writer.write(row, shape: shape) }
        func flush() throws { try output.writer.flush() }
        func watermark(_ time: Int64) throws { if !left { try output.advance(self, to: time) } }

        /// The pipeline is done with the output: its watermark no longer holds the others back.
        func close() throws {
            guard !left else { return }
            left = true
            try output.leave(self)
        }
    }
}
