import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A direct-mapped cache from short UTF-8 byte strings to Strings, so repeated values (device ids,
/// types) are decoded and validated once. Misses simply decode; correctness never depends on hits.
final class StringCache {
    private static let slots = 4096
    private static let maxLength = 32
    private let hashes: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<String>

    init() {
        hashes = .allocate(capacity: Self.slots)
        hashes.initialize(repeating: 0, count: Self.slots)
        values = .allocate(capacity: Self.slots)
        values.initialize(repeating: "", count: Self.slots)
    }

    deinit {
        hashes.deallocate()
        values.deinitialize(count: Self.slots)
        values.deallocate()
    }

    @inline(__always)
    func string(for text: UnsafeBufferPointer<UInt8>) -> String {
        let n = text.count
        guard n > 0, n <= Self.maxLength, let p = text.baseAddress else { return String(decoding: text, as: UTF8.self) }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        h = Comparison.mix(h) | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: h >> 20) & (Self.slots - 1)
        if hashes[slot] == h {
            var cached = values[slot]
            let same = cached.withUTF8 { $0.count == n && $0.baseAddress.map { memcmp($0, p, n) == 0 } == true }
            if same { return cached }
        }
        let s = String(decoding: text, as: UTF8.self)
        hashes[slot] = h
        values[slot] = s
        return s
    }
}
