import Planner

/// A hash index from join-key tuples to chains of rows (first and last row number per key).
///
/// Keys compare with SQL grouping equality (numbers by value across bigint/float/bit, strings
/// ignoring case), which is what `=` means for values of one type family; callers never store a
/// key with a NULL part. Open addressing with tombstones: entries keep their numbers for their
/// lifetime (rows refer to them), and freed numbers are reused. Hand-written because a Swift
/// `Dictionary` rehashes neighbours on every removal and hashes with SipHash, which together took
/// over a third of a stream join's time.
struct KeyIndex {
    let width: Int
    private var keys: [Value] = []
    private var hashes: [UInt64] = []
    /// First and last row of each entry's chain; `heads[e] < 0` marks a free entry.
    private(set) var heads: [Int] = []
    private(set) var tails: [Int] = []
    private var slotOf: [Int] = []
    private var free: [Int] = []
    /// -1 empty, -2 deleted, else an entry number.
    private var slots: [Int32]
    private var mask: Int
    /// Slots that are not empty (live or deleted).
    private var occupied = 0
    private(set) var count = 0

    init(width: Int) {
        self.width = width
        slots = Array(repeating: -1, count: 64)
        mask = 63
    }

    /// The key of a live entry.
    func key(_ entry: Int) -> ArraySlice<Value> { keys[(entry * width)..<((entry + 1) * width)] }

    /// The hash of `key[0..<width]`.
    @inline(__always)
    func hash(_ key: UnsafePointer<Value>) -> UInt64 { GroupTable.hash(key, width: width) }

    /// The entry holding `key`, if any.
    @inline(__always)
    func find(_ key: UnsafePointer<Value>, hash: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = Int(slots[i])
            if s == -1 { return nil }
            if s >= 0 && hashes[s] == hash && equal(s, key) { return s }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func equal(_ entry: Int, _ key: UnsafePointer<Value>) -> Bool {
        let base = entry * width
        for k in 0..<width where !Comparison.groupEqual(keys[base + k], key[k]) { return false }
        return true
    }

    /// Adds `key` (absent) with a one-row chain; returns its entry.
    mutating func insert(_ key: UnsafePointer<Value>, hash: UInt64, row: Int) -> Int {
        if (occupied + 1) * 2 > slots.count { resize() }
        let entry: Int
        if let e = free.popLast() {
            entry = e
            for k in 0..<width { keys[e * width + k] = key[k] }
            hashes[e] = hash
            heads[e] = row
            tails[e] = row
        } else {
            entry = heads.count
            for k in 0..<width { keys.append(key[k]) }
            hashes.append(hash)
            heads.append(row)
            tails.append(row)
            slotOf.append(0)
        }
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        if slots[i] == -1 { occupied += 1 }
        slots[i] = Int32(entry)
        slotOf[entry] = i
        count += 1
        return entry
    }

    /// Appends `row` to an entry's chain; returns the previous last row.
    @inline(__always)
    mutating func append(_ entry: Int, row: Int) -> Int {
        let previous = tails[entry]
        tails[entry] = row
        return previous
    }

    /// Moves an entry's chain head to `row`.
    @inline(__always)
    mutating func setHead(_ entry: Int, _ row: Int) { heads[entry] = row }

    /// Removes an entry.
    mutating func remove(_ entry: Int) {
        slots[slotOf[entry]] = -2
        heads[entry] = -1
        for k in 0..<width { keys[entry * width + k] = .null }
        free.append(entry)
        count -= 1
    }

    /// Rebuilds the slots (dropping tombstones), growing when live entries fill a quarter.
    private mutating func resize() {
        var cap = slots.count
        while count * 4 >= cap { cap <<= 1 }
        slots = Array(repeating: -1, count: cap)
        mask = cap - 1
        occupied = 0
        for e in heads.indices where heads[e] >= 0 {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[i] != -1 { i = (i + 1) & mask }
            slots[i] = Int32(e)
            slotOf[e] = i
            occupied += 1
        }
    }
}

extension KeyIndex {
    /// Evaluates a row's join key into `key`. False when a part is NULL (or NaN): such a row
    /// matches nothing, as `=` with NULL is never true.
    @inline(__always)
    static func evaluate(_ exprs: [CompiledExpr], _ row: RowRef, into key: inout [Value]) throws(EvalError) -> Bool {
        for k in exprs.indices {
            let v = try exprs[k](row)
            switch v {
            case .null: return false
            case .float(let d) where d.isNaN: return false
            default: key[k] = v
            }
        }
        return true
    }
}
