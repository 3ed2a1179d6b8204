import Planner

/// Receives an output's rows as field lists; one instance per output.
package protocol RowWriter: AnyObject {
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
    package func watermark(_ time: Int64) throws {}

    package func checkpoint() throws -> [UInt8] {
        try flush()
        return []
    }
}
