import Planner

/// The rows one side of a stream join keeps, in arrival order, indexed by join key.
///
/// Rows with one key form a chain (by sequence number) from the index entry's head to its tail.
/// Rows leave only from the front (`evictFront`), so a departing row is always the head of its
/// chain: removal is O(1), and the index never holds a departed row.
struct JoinBuffer {
    let width: Int
    private(set) var values: [Value] = []
    /// Each row's `System.Timestamp()`.
    private(set) var times: [Int64] = []
    /// Each row's time that the join's bound refers to.
    private(set) var boundTimes: [Int64] = []
    /// Each row's index entry; -1 for rows with a NULL key part (indexed nowhere).
    private var entries: [Int32] = []
    /// The next row with the same key, by sequence number; -1 ends the chain.
    private var links: [Int] = []
    /// Set when a row met a partner (LEFT JOIN bookkeeping).
    var matched: [Bool] = []
    /// Index of the first live row in the arrays, and the sequence number of array index 0.
    private var start = 0
    private var base = 0
    private var index: KeyIndex

    init(width: Int, keyWidth: Int) {
        self.width = width
        index = KeyIndex(width: keyWidth)
    }

    var isEmpty: Bool { start == times.count }
    var count: Int { times.count - start }
    var frontBoundTime: Int64 { boundTimes[start] }

    /// Whether `sequence` names a live row.
    func contains(sequence: Int) -> Bool { sequence >= base + start && sequence < base + times.count }

    /// Array position of a live row by sequence number.
    @inline(__always) func position(_ sequence: Int) -> Int { sequence - base }

    /// Appends a row with its key (`nil`: a NULL key part); returns its sequence number.
    @discardableResult
    mutating func append(_ row: ArraySlice<Value>, time: Int64, boundTime: Int64, key: UnsafePointer<Value>?, hash: UInt64) -> Int {
        let sequence = base + times.count
        values.appendCopies(of: row)
        times.append(time)
        boundTimes.append(boundTime)
        links.append(-1)
        matched.append(false)
        var entry = -1
        if let key {
            if let e = index.find(key, hash: hash) {
                entry = e
                links[index.append(e, row: sequence) - base] = sequence
            } else {
                entry = index.insert(key, hash: hash, row: sequence)
            }
        }
        entries.append(Int32(entry))
        return sequence
    }

    /// The live rows under one key, oldest first, as sequence numbers (see ``position(_:)``).
    struct Chain: Sequence, IteratorProtocol {
        let links: [Int]
        let base: Int
        var current: Int

        mutating func next() -> Int? {
            guard current >= 0 else { return nil }
            defer { current = links[current - base] }
            return current
        }
    }

    /// The rows under a key. The chain shares storage with the buffer: taking it copies nothing.
    @inline(__always)
    func rows(withKey key: UnsafePointer<Value>, hash: UInt64) -> Chain {
        Chain(links: links, base: base, current: index.find(key, hash: hash).map { index.heads[$0] } ?? -1)
    }

    /// Removes the oldest live row.
    mutating func evictFront() {
        let entry = Int(entries[start])
        if entry >= 0 {
            let next = links[start]
            if next < 0 { index.remove(entry) } else { index.setHead(entry, next) }
        }
        start += 1
        if start >= 4096 && start * 2 >= times.count { compact() }
    }

    /// Drops evicted rows from the arrays.
    private mutating func compact() {
        values.removeFirst(start * width)
        times.removeFirst(start)
        boundTimes.removeFirst(start)
        entries.removeFirst(start)
        links.removeFirst(start)
        matched.removeFirst(start)
        base += start
        start = 0
    }

    /// The values of the row at array position `p`.
    @inline(__always) func row(_ p: Int) -> ArraySlice<Value> { values[p * width ..< (p + 1) * width] }

    /// Writes the live rows with their keys (for checkpoints).
    func save(into w: inout StateWriter) {
        w.write(base + start)
        w.write(count)
        for p in start..<times.count {
            w.write(Array(row(p)))
            w.write(times[p])
            w.write(boundTimes[p])
            w.write(matched[p])
            let entry = Int(entries[p])
            w.write(entry >= 0)
            if entry >= 0 { w.write(Array(index.key(entry))) }
        }
    }

    /// Rebuilds a buffer written by `save`: the same rows under the same sequence numbers.
    static func restore(from r: inout StateReader, width: Int, keyWidth: Int) throws(StateError) -> JoinBuffer {
        var buffer = JoinBuffer(width: width, keyWidth: keyWidth)
        buffer.base = try r.readInt(in: 0..<(Int.max / 2), "a sequence number")
        for _ in 0..<(try r.readCount(elementSize: 26)) {
            let row = try r.readValues()
            let time = try r.readEventTime(), boundTime = try r.readEventTime(), matched = try r.readBool()
            var key: [Value]? = try r.readBool() ? try r.readValues() : nil
            guard row.count == width, key.map({ $0.count == keyWidth }) ?? true else { throw StateError("join state has a wrong shape") }
            if key?.isEmpty == true { key = [.null] }  // a valid pointer for width-0 keys
            if let key {
                key.withUnsafeBufferPointer { k in
                    guard let p = k.baseAddress else { return }
                    buffer.append(row[...], time: time, boundTime: boundTime, key: p, hash: buffer.index.hash(p))
                }
            } else {
                buffer.append(row[...], time: time, boundTime: boundTime, key: nil, hash: 0)
            }
            buffer.matched[buffer.matched.count - 1] = matched
        }
        return buffer
    }
}

/// Whether a joined row passes the ON condition's non-equality part (none: it does). A row whose
/// condition fails to evaluate is counted as a row error and does not join.
func joinConditionHolds(_ residual: CompiledPredicate?, on row: [Value], time: Int64, context: RuntimeContext) -> Bool {
    guard let residual else { return true }
    return row.withUnsafeBufferPointer { buf in
        guard let base = buf.baseAddress else { return false }
        do throws(EvalError) {
            return try residual(RowRef(values: base, time: time)) == true
        } catch {
            context.rowError(error, in: "JOIN ON")
            return false
        }
    }
}
