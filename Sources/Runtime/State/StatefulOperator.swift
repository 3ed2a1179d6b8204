import Planner

/// An operator whose state survives a restart through checkpoints.
///
/// `saveState` writes everything the operator needs to continue as if it had never stopped (rows
/// held, open windows, histories, its own watermark); `restoreState` reads it back into a freshly
/// built operator of the same plan. Operators that are not `StatefulOperator` keep no state
/// between batches (their downstream watermark is saved by the pipeline).
public protocol StatefulOperator: Operator {
    /// Changes whenever `saveState`'s layout changes: a checkpoint with another version is refused.
    static var stateVersion: Int { get }
    func saveState(into w: inout StateWriter)
    func restoreState(from r: inout StateReader) throws(StateError)
}

/// An operator that keeps nothing between batches (checkpoints save only its watermark).
public protocol StatelessOperator: Operator {}

extension StateWriter {
    public mutating func write(_ values: [Value]) {
        write(values.count)
        for v in values { write(v) }
    }

    public mutating func write(_ values: [Int64]) {
        write(values.count)
        for v in values { write(v) }
    }

    /// Rows, times, arrivals and partitions of a batch.
    public mutating func write(_ batch: EventBatch) {
        write(batch.width)
        write(batch.values)
        write(batch.times)
        write(batch.arrivals)
        write(batch.partitions.map(Int64.init))
    }
}

extension StateReader {
    public mutating func readValues() throws(StateError) -> [Value] {
        let n = try readCount()
        var out: [Value] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readValue()) }
        return out
    }

    public mutating func readInt64s() throws(StateError) -> [Int64] {
        let n = try readCount(elementSize: 8)
        var out: [Int64] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readInt64()) }
        return out
    }

    public mutating func readBatch() throws(StateError) -> EventBatch {
        var batch = EventBatch(width: try readInt(in: 0..<65_536, "a batch width"))
        batch.values = try readValues()
        batch.times = try readInt64s()
        batch.arrivals = try readInt64s()
        batch.partitions = try readInt64s().map { Int32(truncatingIfNeeded: $0) }
        guard batch.values.count == batch.times.count * batch.width, batch.arrivals.isEmpty || batch.arrivals.count == batch.times.count,
              batch.partitions.isEmpty || batch.partitions.count == batch.times.count else {
            throw StateError("checkpoint batch has a wrong shape")
        }
        return batch
    }

    /// Fails unless the next value is `expected` (a section marker or a count the plan fixes).
    public mutating func expect(_ expected: Int, _ what: String) throws(StateError) {
        let n = try readInt()
        guard n == expected else { throw StateError("checkpoint does not match the job: \(what) is \(n), the job has \(expected)") }
    }
}

extension GroupTable {
    /// Writes the keys in slot order; ``restore(from:width:)`` gives the same slots back.
    func save(into w: inout StateWriter) {
        w.write(count)
        w.write(keys)
    }

    static func restore(from r: inout StateReader, width: Int) throws(StateError) -> GroupTable {
        let count = try r.readCount()
        var keys = try r.readValues()
        guard keys.count == count * width else { throw StateError("checkpoint group table has a wrong shape") }
        if keys.isEmpty { keys = [.null] }  // a valid pointer for width-0 keys
        var table = GroupTable(width: width, capacity: max(count, 16))
        keys.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for s in 0..<count {
                let key = base + s * width
                _ = table.slot(for: key, hash: GroupTable.hash(key, width: width))
            }
        }
        return table
    }
}
