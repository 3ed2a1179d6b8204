import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A direct-mapped cache from short UTF-8 byte strings to Strings, so repeated values (device ids,
/// types) are decoded and validated once. Misses simply decode; correctness never depends on hits,
/// because a hit compares the bytes themselves.
final class StringCache {
    private static let slots = 4096
    private static let maxLength = 32
    private let values: UnsafeMutablePointer<String>
    /// Each slot's bytes (`maxLength` per slot) and length (0: empty).
    private let keys: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<UInt8>

    init() {
        values = .allocate(capacity: Self.slots)
        values.initialize(repeating: "", count: Self.slots)
        keys = .allocate(capacity: Self.slots * Self.maxLength)
        keys.initialize(repeating: 0, count: Self.slots * Self.maxLength)
        lengths = .allocate(capacity: Self.slots)
        lengths.initialize(repeating: 0, count: Self.slots)
    }

    deinit {
        values.deinitialize(count: Self.slots)
        values.deallocate()
        keys.deallocate()
        lengths.deallocate()
    }

    @inline(__always)
    func string(for text: UnsafeBufferPointer<UInt8>) -> String {
        let n = text.count
        guard n > 0, n <= Self.maxLength, let p = text.baseAddress else { return String(decoding: text, as: UTF8.self) }
        let slot = Int(truncatingIfNeeded: Self.hash(p, n) >> 52) & (Self.slots - 1)
        let key = keys + slot * Self.maxLength
        if Int(lengths[slot]) == n, memcmp(key, p, n) == 0 { return values[slot] }
        let s = String(decoding: text, as: UTF8.self)
        key.update(from: p, count: n)
        lengths[slot] = UInt8(n)
        values[slot] = s
        return s
    }

    /// A hash of 1 to 32 bytes from at most four word loads (overlapping ones for lengths that are
    /// not multiples of eight), mixed by multiplication.
    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        if n >= 8 {
            h ^= raw.loadUnaligned(as: UInt64.self)
            h = (h ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x1656_67B1_9E37_79F9
            if n > 16 {
                h ^= raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                h = (h ^ raw.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x1656_67B1_9E37_79F9
            }
        } else {
            for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        }
        return Comparison.mix(h)
    }
}
