import Planner

/// Writes operator state as compact binary: fixed-width little-endian numbers, floats by bit
/// pattern (so a restored state computes bit-identical results), and tagged values.
package struct StateWriter: Sendable {
    package private(set) var bytes: [UInt8] = []
    /// Set when some state could not be written (user code's state that has no serial form): the
    /// checkpoint is then an error rather than silently missing it.
    package private(set) var failure: String?

    package init() {}

    /// Records that state could not be written; the first reason is kept.
    package mutating func fail(_ reason: String) { if failure == nil { failure = reason } }

    package mutating func write(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    package mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    package mutating func write(_ v: Int) { write(Int64(v)) }
    package mutating func write(_ v: Double) { write(v.bitPattern) }
    package mutating func write(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    package mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

    package mutating func write(bytes: [UInt8]) {
        write(bytes.count)
        self.bytes.append(contentsOf: bytes)
    }

    package mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    package mutating func write(_ v: Value) {
        switch v {
        case .null: bytes.append(0)
        case .bigint(let i): bytes.append(1); write(i)
        case .float(let d): bytes.append(2); write(d)
        case .string(let s): bytes.append(3); write(s)
        case .datetime(let t): bytes.append(4); write(t.ticks)
        case .bit(let b): bytes.append(5); write(b)
        case .record(let r):
            bytes.append(6)
            write(r.count)
            for i in 0..<r.count {
                write(r.names[i])
                write(r.values[i])
            }
        case .array(let a):
            bytes.append(7)
            write(a.count)
            for x in a { write(x) }
        }
    }
}

extension StateWriter {
    package mutating func write(_ values: [Value]) {
        write(values.count)
        for v in values { write(v) }
    }

    package mutating func write(_ values: [Int64]) {
        write(values.count)
        for v in values { write(v) }
    }

    /// Rows, times, arrivals and partitions of a batch.
    package mutating func write(_ batch: EventBatch) {
        write(batch.width)
        write(batch.values)
        write(batch.times)
        write(batch.arrivals)
        write(batch.partitions.map(Int64.init))
    }
}
