import Planner

/// SQL comparison and equality of values.
///
/// Numbers compare numerically across bigint, float and bit; strings compare ignoring case (T-SQL's
/// default collation, which ASA's examples rely on); a string compared with a number or a datetime is
/// converted to that type. NULL compares as unknown (`nil`).
package enum Comparison {
    /// -1, 0 or 1; `nil` when either side is NULL. Throws when the values cannot be compared.
    @inline(__always)
    package static func compare(_ a: Value, _ b: Value) throws(EvalError) -> Int? {
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case let (.bigint(x), .bigint(y)): return x < y ? -1 : x > y ? 1 : 0
        case let (.float(x), .float(y)): return x < y ? -1 : x > y ? 1 : 0
        case let (.string(x), .string(y)): return compareText(x, y)
        case let (.datetime(x), .datetime(y)): return x < y ? -1 : x > y ? 1 : 0
        case (.bigint, .float), (.float, .bigint), (.bit, .bigint), (.bigint, .bit), (.bit, .float), (.float, .bit),
             (.bit, .bit):
            return compareNumbers(a, b)
        case (.string, .bigint), (.string, .float), (.string, .bit):
            guard let x = try Conversions.double(a), let y = try Conversions.double(b) else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        case (.bigint, .string), (.float, .string), (.bit, .string):
            guard let x = try Conversions.double(a), let y = try Conversions.double(b) else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        case (.string, .datetime), (.datetime, .string):
            guard let x = try Conversions.timestamp(a), let y = try Conversions.timestamp(b) else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        case let (.record(x), .record(y)):
            return x == y ? 0 : nil
        case let (.array(x), .array(y)):
            return x == y ? 0 : nil
        default:
            throw EvalError("cannot compare \(a.typeName) with \(b.typeName)")
        }
    }

    private static func compareNumbers(_ a: Value, _ b: Value) -> Int {
        // bigints beyond 2^53 lose precision in doubles; compare exactly when both are integers.
        if let x = exactInt(a), let y = exactInt(b) { return x < y ? -1 : x > y ? 1 : 0 }
        let x = number(a), y = number(b)
        return x < y ? -1 : x > y ? 1 : 0
    }

    @inline(__always) private static func exactInt(_ v: Value) -> Int64? {
        switch v {
        case .bigint(let i): return i
        case .bit(let b): return b ? 1 : 0
        default: return nil
        }
    }

    @inline(__always) static func number(_ v: Value) -> Double {
        switch v {
        case .bigint(let i): return Double(i)
        case .float(let d): return d
        case .bit(let b): return b ? 1 : 0
        default: return .nan
        }
    }

    /// Case-insensitive ordinal comparison: ASCII letters fold; other text falls back to lowercasing.
    package static func compareText(_ a: String, _ b: String) -> Int {
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (x?, y?):
                if x == y { continue }
                if x >= 0x80 || y >= 0x80 {
                    let la = a.lowercased(), lb = b.lowercased()
                    return la < lb ? -1 : la > lb ? 1 : 0
                }
                let fx = x >= 0x41 && x <= 0x5A ? x | 0x20 : x
                let fy = y >= 0x41 && y <= 0x5A ? y | 0x20 : y
                if fx != fy { return fx < fy ? -1 : 1 }
            }
        }
    }

    /// Grouping equality: like `=`, but NULL equals NULL and mismatched types are simply unequal.
    @inline(__always)
    package static func groupEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.string(x), .string(y)): return x == y || compareText(x, y) == 0
        case let (.bigint(x), .bigint(y)): return x == y
        case let (.float(x), .float(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.datetime(x), .datetime(y)): return x == y
        case (.bigint, .float), (.float, .bigint), (.bit, .bigint), (.bigint, .bit), (.bit, .float), (.float, .bit),
             (.bit, .bit):
            return compareNumbers(a, b) == 0
        case let (.record(x), .record(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        default: return false
        }
    }

    /// A 64-bit hash consistent with ``groupEqual(_:_:)``: case-folded text, numbers by numeric value.
    /// Not seeded: group keys come from the job's own data, and the table handles collisions.
    @inline(__always)
    package static func groupHash(_ v: Value) -> UInt64 {
        switch v {
        case .null: return 0x9E37_79B9_7F4A_7C15
        case .string(let s):
            // Read in place (no copy of the string); text that is not ASCII, or not contiguous,
            // hashes its lower-cased form.
            if case let folded?? = s.utf8.withContiguousStorageIfAvailable({ foldedHash($0) }) { return folded }
            var lowered = s.lowercased()
            return lowered.withUTF8 { foldedHash($0, asciiOnly: false) } ?? 0
        case .bigint(let i): return mix(Double(i).bitPattern)
        case .float(let d): return mix((d == 0 ? 0 : d).bitPattern)
        case .bit(let b): return mix((b ? 1.0 : 0.0).bitPattern)
        case .datetime(let t): return mix(UInt64(bitPattern: t.ticks) ^ 0x5555_5555)
        case .record(let r): return mix(UInt64(bitPattern: Int64(r.hashValue)))
        case .array(let a): return mix(UInt64(bitPattern: Int64(a.hashValue)))
        }
    }

    /// A hash of UTF-8 text with ASCII letters folded to lower case, eight bytes at a time; nil when
    /// `asciiOnly` and a byte is not ASCII (the caller then hashes the lower-cased text, whose
    /// non-ASCII bytes pass unchanged).
    @inline(__always)
    private static func foldedHash(_ buf: UnsafeBufferPointer<UInt8>, asciiOnly: Bool = true) -> UInt64? {
        let n = buf.count
        guard let p = buf.baseAddress else { return mix(0xCBF2_9CE4_8422_2325) }
        let raw = UnsafeRawPointer(p)
        let high: UInt64 = 0x8080_8080_8080_8080
        /// Adds 0x20 to the bytes 0x41 to 0x5A, for ASCII bytes; other bytes pass unchanged.
        @inline(__always) func fold(_ w: UInt64) -> UInt64 {
            let low = w & ~high
            let atLeastA = low &+ 0x3F3F_3F3F_3F3F_3F3F, pastZ = low &+ 0x2525_2525_2525_2525
            let upper = atLeastA & ~pastZ & ~w & high
            return w | (upper >> 2)
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if asciiOnly && w & high != 0 { return nil }
            h = (h ^ fold(w)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var w: UInt64
            if n >= 8 {
                // The last eight bytes, without the ones already hashed.
                w = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (8 - (n - i)))
            } else {
                w = 0
                for k in 0..<n { w |= UInt64(p[k]) << UInt64(8 * k) }
            }
            if asciiOnly && w & high != 0 { return nil }
            h = (h ^ fold(w)) &* 0x9E37_79B9_7F4A_7C15
        }
        return mix(h)
    }

    /// A strong 64-bit finalizer (from SplitMix64).
    @inline(__always)
    package static func mix(_ v: UInt64) -> UInt64 {
        var z = v &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
