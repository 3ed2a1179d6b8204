import Planner

/// A hash table from group keys to dense slots `0..<count`, in first-seen order.
///
/// Keys live in one flat array (no per-group allocation), are hashed from their values directly
/// (no string building), and compare with SQL grouping equality (strings ignore case, NULLs match).
/// A value type, so hot loops can own it in a local without exclusivity checks.
struct GroupTable {
    let width: Int
    private(set) var keys: [Value] = []
    private var hashes: [UInt64] = []
    private var index: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(width: Int, capacity: Int = 64) {
        self.width = width
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        index = Array(repeating: -1, count: cap)
        mask = cap - 1
    }

    /// The hash of a key held in `key[0..<width]`.
    @inline(__always)
    static func hash(_ key: UnsafePointer<Value>, width: Int) -> UInt64 { hash(ContiguousKey(base: key), width: width) }

    /// The hash of a key's values wherever they are.
    @inline(__always)
    static func hash<K: GroupKeyValues>(_ key: K, width: Int) -> UInt64 {
        var h: UInt64 = 0x2545_F491_4F6C_DD1D
        for i in 0..<width { h = Comparison.mix(h ^ Comparison.groupHash(key[i])) }
        return h
    }

    /// The slot of the key held in `key[0..<width]`, inserting it when new.
    @inline(__always)
    mutating func slot(for key: UnsafePointer<Value>, hash: UInt64) -> (slot: Int, inserted: Bool) {
        slot(for: ContiguousKey(base: key), hash: hash)
    }

    /// The slot of `key`, inserting it (its values copied) when new. `inserted` tells which.
    @inline(__always)
    mutating func slot<K: GroupKeyValues>(for key: K, hash: UInt64) -> (slot: Int, inserted: Bool) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = Int(index[i])
            if s < 0 { break }
            if hashes[s] == hash && equal(s, key) { return (s, false) }
            i = (i + 1) & mask
        }
        let s = count
        index[i] = Int32(s)
        hashes.append(hash)
        for k in 0..<width { keys.append(key[k]) }
        count += 1
        if count * 2 > index.count { rehash() }
        return (s, true)
    }

    /// The slot of the key in `key[0..<width]` (an array never empty: callers size it `max(width, 1)`).
    @inline(__always)
    mutating func slot(for key: [Value]) -> (slot: Int, inserted: Bool) {
        key.withUnsafeBufferPointer { kb in
            guard let base = kb.baseAddress else { preconditionFailure("group keys are held in a non-empty array") }
            return slot(for: base, hash: Self.hash(base, width: width))
        }
    }

    @inline(__always)
    private func equal<K: GroupKeyValues>(_ slot: Int, _ key: K) -> Bool {
        let base = slot * width
        for k in 0..<width where !Comparison.groupEqual(keys[base + k], key[k]) { return false }
        return true
    }

    private mutating func rehash() {
        let cap = index.count * 2
        index = Array(repeating: -1, count: cap)
        mask = cap - 1
        for s in 0..<count {
            var i = Int(truncatingIfNeeded: hashes[s]) & mask
            while index[i] >= 0 { i = (i + 1) & mask }
            index[i] = Int32(s)
        }
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for i in index.indices { index[i] = -1 }
        count = 0
    }
}

/// A group key's values, read where they are, so hashing and probing copy nothing: contiguous
/// (a key buffer) or gathered from a row's columns.
protocol GroupKeyValues {
    subscript(_ k: Int) -> Value { get }
}

/// Key values held next to each other.
struct ContiguousKey: GroupKeyValues {
    let base: UnsafePointer<Value>
    @inline(__always) subscript(_ k: Int) -> Value { unsafeAddress { base + k } }
}

/// Key values at addresses of their own (the columns of a row, computed keys).
struct GatheredKey: GroupKeyValues {
    let parts: UnsafePointer<UnsafePointer<Value>>
    @inline(__always) subscript(_ k: Int) -> Value { unsafeAddress { parts[k] } }
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
