import Planner

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
