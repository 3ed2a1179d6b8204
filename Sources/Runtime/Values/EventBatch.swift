import Planner

/// A batch of event rows in row-major order: row `i` occupies `values[i*width ..< (i+1)*width]`.
///
/// Operators pass batches by value; arrays are copy-on-write, so fan-out shares storage.
package struct EventBatch: Sendable {
    package var width: Int
    package var values: [Value]
    /// Each row's event time (`System.Timestamp()`), in 100-ns ticks.
    package var times: [Int64]
    /// Each row's arrival time; only sources fill it, for the event-ordering policies.
    package var arrivals: [Int64]
    /// Each row's partition, for partitioned sources (Kafka); empty otherwise.
    package var partitions: [Int32] = []

    package init(width: Int, capacity: Int = 0) {
        self.width = width
        values = []
        times = []
        arrivals = []
        values.reserveCapacity(capacity * width)
        times.reserveCapacity(capacity)
    }

    package var count: Int { times.count }
    package var isEmpty: Bool { times.isEmpty }

    /// Appends a row given as a collection of exactly `width` values.
    package mutating func append<C: Collection>(_ row: C, time: Int64) where C.Element == Value {
        values.appendCopies(of: row)
        times.append(time)
    }

    package mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
        arrivals.removeAll(keepingCapacity: true)
        partitions.removeAll(keepingCapacity: true)
    }

    /// The values of row `i`.
    package func row(_ i: Int) -> ArraySlice<Value> { values[i * width ..< (i + 1) * width] }
}

/// A borrowed view of one row, valid only while its batch's storage is pinned.
package struct RowRef {
    package let values: UnsafePointer<Value>
    package let time: Int64

    @inline(__always)
    package init(values: UnsafePointer<Value>, time: Int64) {
        self.values = values
        self.time = time
    }

    @inline(__always) package subscript(_ i: Int) -> Value { values[i] }
}

extension EventBatch {
    /// Calls `body` with each row, pinning the batch's storage for the duration.
    @inline(__always)
    package func forEachRow(_ body: (Int, RowRef) throws -> Void) rethrows {
        try values.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else {
                // Zero-width rows: pass a dummy pointer that is never read.
                let dummy = [Value.null]
                try dummy.withUnsafeBufferPointer { d in
                    for i in 0..<count { try body(i, RowRef(values: d.baseAddress!, time: times[i])) }
                }
                return
            }
            for i in 0..<count { try body(i, RowRef(values: base + i * width, time: times[i])) }
        }
    }
}

extension Array where Element == Value {
    /// Appends copies of `row`, one at a time. `append(contentsOf:)` copies a non-trivial element
    /// type through the runtime's generic array copy, a value-witness call per element, which costs
    /// several times the inlined copy (about 67 instructions a value against 10 to 25).
    @inline(__always)
    package mutating func appendCopies<C: Collection>(of row: C) where C.Element == Value {
        for v in row { append(v) }
    }

    /// Overwrites `self[at ..< at + row.count]` with copies of `row` (see ``appendCopies(of:)``).
    @inline(__always)
    package mutating func assignCopies(of row: ArraySlice<Value>, at: Int) {
        var k = at
        for v in row {
            self[k] = v
            k += 1
        }
    }
}
