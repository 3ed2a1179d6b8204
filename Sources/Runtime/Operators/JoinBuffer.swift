import Planner

/// The rows one side of a stream join keeps, in arrival order, indexed by join key.
///
/// Rows leave only from the front (`evictFront`), so every key's list of rows also loses its oldest
/// first: removal is O(1) and the index never holds a departed row.
struct JoinBuffer {
    let width: Int
    private(set) var values: [Value] = []
    /// Each row's `System.Timestamp()`.
    private(set) var times: [Int64] = []
    /// Each row's time that the join's bound refers to.
    private(set) var boundTimes: [Int64] = []
    private var keys: [JoinKey?] = []
    /// Set when a row met a partner (LEFT JOIN bookkeeping).
    var matched: [Bool] = []
    /// Index of the first live row in the arrays, and the sequence number of array index 0.
    private(set) var start = 0
    private var base = 0
    private var index: [JoinKey: Bucket] = [:]

    struct Bucket {
        var sequences: [Int] = []
        var start = 0
    }

    init(width: Int) { self.width = width }

    var isEmpty: Bool { start == times.count }
    var count: Int { times.count - start }

    var frontBoundTime: Int64 { boundTimes[start] }

    /// Array position of a live row by sequence number.
    @inline(__always) func position(_ sequence: Int) -> Int { sequence - base }

    /// Appends a row; returns its sequence number.
    @discardableResult
    mutating func append(_ row: ArraySlice<Value>, time: Int64, boundTime: Int64, key: JoinKey?) -> Int {
        let sequence = base + times.count
        values.append(contentsOf: row)
        times.append(time)
        boundTimes.append(boundTime)
        keys.append(key)
        matched.append(false)
        if let key { index[key, default: Bucket()].sequences.append(sequence) }
        return sequence
    }

    /// Calls `body` with the position of every live row under `key`, oldest first.
    @inline(__always)
    func forEachRow(withKey key: JoinKey, _ body: (Int) throws -> Void) rethrows {
        guard let bucket = index[key] else { return }
        for k in bucket.start..<bucket.sequences.count { try body(bucket.sequences[k] - base) }
    }

    /// Removes the oldest live row.
    mutating func evictFront() {
        if let key = keys[start] {
            if var bucket = index.removeValue(forKey: key) {
                bucket.start += 1
                if bucket.start < bucket.sequences.count {
                    if bucket.start >= 32 && bucket.start * 2 >= bucket.sequences.count {
                        bucket.sequences.removeFirst(bucket.start)
                        bucket.start = 0
                    }
                    index[key] = bucket
                }
            }
        }
        start += 1
        if start >= 4096 && start * 2 >= times.count { compact() }
    }

    /// Drops evicted rows from the arrays.
    private mutating func compact() {
        values.removeFirst(start * width)
        times.removeFirst(start)
        boundTimes.removeFirst(start)
        keys.removeFirst(start)
        matched.removeFirst(start)
        base += start
        start = 0
    }

    /// The values of the row at array position `p`.
    @inline(__always) func row(_ p: Int) -> ArraySlice<Value> { values[p * width ..< (p + 1) * width] }
}
