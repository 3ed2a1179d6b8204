import Planner
#if canImport(Glibc)
import Glibc
#endif

/// Wanted field names in one flat buffer, exact and lower-cased, for allocation-free key matching.
final class FieldNames {
    let count: Int
    private let exact: UnsafeMutablePointer<UInt8>
    private let lowered: UnsafeMutablePointer<UInt8>
    private let offsets: UnsafeMutablePointer<Int>
    private let total: Int
    /// Shortest and longest name, to rule keys out by length alone.
    private let minLength: Int
    private let maxLength: Int
    /// Whether field `i`'s name can appear unescaped in JSON exactly as written: no quote, backslash
    /// or control byte, and a lower-cased form of the same length.
    private let plain: [Bool]

    init(_ names: [String]) {
        count = names.count
        let e = names.map { Array($0.utf8) }, l = names.map { Array($0.lowercased().utf8) }
        total = l.reduce(0) { $0 + $1.count }
        exact = .allocate(capacity: max(total, 1))
        lowered = .allocate(capacity: max(total, 1))
        offsets = .allocate(capacity: count + 1)
        var at = 0
        for i in 0..<count {
            offsets[i] = at
            // Lower-casing can change the byte length of non-ASCII names; such names match by folding only.
            for (k, b) in l[i].enumerated() {
                lowered[at + k] = b
                exact[at + k] = k < e[i].count && e[i].count == l[i].count ? e[i][k] : 0
            }
            at += l[i].count
        }
        offsets[count] = at
        plain = names.indices.map { i in e[i].count == l[i].count && !e[i].contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } }
        minLength = l.map(\.count).min() ?? 0
        maxLength = l.map(\.count).max() ?? 0
    }

    deinit {
        exact.deallocate()
        lowered.deallocate()
        offsets.deallocate()
    }

    /// True when no field has the key's length.
    @inline(__always)
    func cannotMatch(_ key: JSONCursor.Key) -> Bool {
        let n = key.end - key.start
        return n < minLength || n > maxLength
    }

    /// The length of field `i`'s name when the bytes at `at` are that name exactly, closed by a
    /// quote; nil otherwise. The fast path for a key seen before: no search for the quote.
    @inline(__always)
    func exactKey(_ i: Int, at: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let start = offsets[i], n = offsets[i + 1] - start
        guard plain[i], at + n < bytes.count, let b = bytes.baseAddress, b[at + n] == 0x22 else { return nil }
        let key = UnsafeRawPointer(b + at), name = UnsafeRawPointer(exact + start)
        if n >= 8 {
            var k = 0
            while k + 8 < n {
                if key.loadUnaligned(fromByteOffset: k, as: UInt64.self) != name.loadUnaligned(fromByteOffset: k, as: UInt64.self) { return nil }
                k += 8
            }
            return key.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == name.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) ? n : nil
        }
        for k in 0..<n where b[at + k] != exact[start + k] { return nil }
        return n
    }

    /// Whether `key` names field `i`, ignoring case.
    @inline(__always)
    func matches(_ i: Int, _ key: JSONCursor.Key, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = offsets[i], n = offsets[i + 1] - start
        if key.escaped {
            return Array(key.decoded(bytes).lowercased().utf8) == Array(UnsafeBufferPointer(start: lowered + start, count: n))
        }
        guard key.end - key.start == n, let b = bytes.baseAddress else { return false }
        if memcmp(b + key.start, exact + start, n) == 0 { return true }
        var k = 0
        while k < n {
            var c = b[key.start + k]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != lowered[start + k] {
                if c >= 0x80 {
                    return String(decoding: UnsafeBufferPointer(start: b + key.start, count: n), as: UTF8.self)
                        .lowercased().utf8.elementsEqual(UnsafeBufferPointer(start: lowered + start, count: n))
                }
                return false
            }
            k += 1
        }
        return true
    }
}

/// The key last seen at each of the first positions of an object when it named no wanted field,
/// so the same key in the next event is passed over by comparing its bytes, without a search.
final class UnwantedKeys {
    private static let positions = 32
    private static let maxLength = 48
    private let keys: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<Int>

    init() {
        keys = .allocate(capacity: Self.positions * Self.maxLength)
        keys.initialize(repeating: 0, count: Self.positions * Self.maxLength)
        lengths = .allocate(capacity: Self.positions)
        lengths.initialize(repeating: -1, count: Self.positions)
    }

    deinit {
        keys.deallocate()
        lengths.deallocate()
    }

    /// Remembers the unescaped key `bytes[start..<end]` at `position`.
    func remember(_ position: Int, _ start: Int, _ end: Int, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard position < Self.positions, let b = bytes.baseAddress else { return }
        let n = end - start
        guard n <= Self.maxLength else {
            lengths[position] = -1
            return
        }
        (keys + position * Self.maxLength).update(from: b + start, count: n)
        lengths[position] = n
    }

    /// The length of the key remembered at `position` when the bytes at `at` are that key exactly,
    /// closed by a quote; nil otherwise.
    @inline(__always)
    func exactKey(_ position: Int, at: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard position < Self.positions, let b = bytes.baseAddress else { return nil }
        let n = lengths[position]
        guard n >= 0, at + n < bytes.count, b[at + n] == 0x22, memcmp(b + at, keys + position * Self.maxLength, n) == 0 else { return nil }
        return n
    }
}
