import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A position in a JSON text and the primitive readers over it.
struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let booleansAsBit: Bool
    var pos = 0
    /// Interns short string values, which repeat across events (device ids, types). Not retained:
    /// the cursor lives for one event inside the call of the parser that owns the cache (held as
    /// `Unmanaged`, since even an `unowned(unsafe)` reference was retained around each use).
    let strings: Unmanaged<StringCache>?

    init(bytes: UnsafeBufferPointer<UInt8>, booleansAsBit: Bool, strings: StringCache? = nil) {
        self.bytes = bytes
        self.booleansAsBit = booleansAsBit
        self.strings = strings.map { Unmanaged.passUnretained($0) }
    }

    /// An object key: its raw byte range, and whether it contains escapes.
    struct Key {
        var start: Int
        var end: Int
        var escaped: Bool

        @inline(__always)
        func equalsFolded(_ lowered: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            if escaped { return Array(decoded(bytes).lowercased().utf8) == lowered }
            guard end - start == lowered.count else { return false }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self).lowercased().utf8
                .elementsEqual(lowered)
        }

        func decoded(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
            var c = JSONCursor(bytes: bytes, booleansAsBit: true)
            c.pos = start - 1
            // A key that does not decode (a raw tab among escapes) keeps its raw text.
            return (try? c.readString()) ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    @inline(__always) func peek() -> UInt8 { pos < bytes.count ? bytes[pos] : 0 }

    func error(_ message: String) -> DecodeError { DecodeError(message: message, offset: pos) }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < bytes.count {
            let b = bytes[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    /// Reads a string holding ISO-8601 text as a datetime, without creating a String. Returns nil
    /// (consuming nothing) when the string has escapes or is not a datetime.
    mutating func readTimestamp(_ parser: inout TimestampParser) -> Timestamp? {
        let start = pos + 1
        var i = start
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let stop = Self.zeroBytes(w ^ 0x2222_2222_2222_2222) | Self.zeroBytes(w ^ 0x5C5C_5C5C_5C5C_5C5C)
                if stop != 0 {
                    i += stop.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
        }
        while i < bytes.count, bytes[i] != 0x22 {
            if bytes[i] == 0x5C { return nil }
            i += 1
        }
        guard i < bytes.count, let t = parser.parse(UnsafeBufferPointer(rebasing: bytes[start..<i])) else { return nil }
        pos = i + 1
        return t
    }

    mutating func readKey() throws(DecodeError) -> Key {
        guard peek() == 0x22, let base = bytes.baseAddress else { throw error("expected a string key") }
        pos += 1
        let start = pos
        // The closing quote, found with memchr; a backslash before it means escapes (then scan slowly).
        guard let q = memchr(base + start, 0x22, bytes.count - start) else { throw error("unterminated string") }
        let end = base.distance(to: q.assumingMemoryBound(to: UInt8.self))
        if memchr(base + start, 0x5C, end - start) == nil {
            pos = end + 1
            return Key(start: start, end: end, escaped: false)
        }
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x22 {
                pos += 1
                return Key(start: start, end: pos - 1, escaped: true)
            }
            if b == 0x5C { pos += 1 }
            pos += 1
        }
        throw error("unterminated string")
    }

    mutating func readValue() throws(DecodeError) -> Value {
        switch peek() {
        case 0x22: return .string(try readString())
        case 0x7B: return .record(try readRecord())
        case 0x5B: return .array(try readArray())
        case 0x74: try literal("true"); return booleansAsBit ? .bit(true) : .bigint(1)
        case 0x66: try literal("false"); return booleansAsBit ? .bit(false) : .bigint(0)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return try readNumber()
        default: throw error("expected a JSON value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(DecodeError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw error("invalid literal") }
        let p = word.utf8Start
        for i in 0..<n where bytes[pos + i] != p[i] { throw error("invalid literal") }
        pos += n
    }

    /// Records and arrays being read: deeper than ``Value/maxNesting`` is malformed (a recursive
    /// reader must not run out of stack on a hostile event).
    private var depth = 0

    private mutating func enter() throws(DecodeError) {
        depth += 1
        guard depth <= Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
    }

    mutating func readRecord() throws(DecodeError) -> Record {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var names: [String] = [], values: [Value] = []
        skipWhitespace()
        if peek() == 0x7D { pos += 1; return Record() }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            guard peek() == 0x3A else { throw error("expected ':' after an object key") }
            pos += 1
            skipWhitespace()
            let v = try readValue()
            if let i = names.firstIndex(where: { $0.caseInsensitiveEquals(key) }) { values[i] = v } else {
                names.append(key)
                values.append(v)
            }
            skipWhitespace()
            if peek() == 0x2C { pos += 1; continue }
            if peek() == 0x7D { pos += 1; break }
            throw error("expected ',' or '}' in an object")
        }
        return Record(names: names, values: values)
    }

    mutating func readArray() throws(DecodeError) -> [Value] {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var out: [Value] = []
        skipWhitespace()
        if peek() == 0x5D { pos += 1; return out }
        while true {
            skipWhitespace()
            out.append(try readValue())
            skipWhitespace()
            if peek() == 0x2C { pos += 1; continue }
            if peek() == 0x5D { pos += 1; break }
            throw error("expected ',' or ']' in an array")
        }
        return out
    }

    mutating func readString() throws(DecodeError) -> String {
        guard peek() == 0x22 else { throw error("expected a string") }
        pos += 1
        let start = pos
        // Fast path: no escapes. The first quote, backslash or control byte is found eight bytes at a time.
        if let base = bytes.baseAddress {
            while pos + 8 <= bytes.count {
                let w = UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self)
                let stop = Self.zeroBytes(w ^ 0x2222_2222_2222_2222) | Self.zeroBytes(w ^ 0x5C5C_5C5C_5C5C_5C5C)
                    | ((w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080)
                if stop != 0 {
                    pos += stop.trailingZeroBitCount >> 3
                    break
                }
                pos += 8
            }
        }
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x22 {
                let text = UnsafeBufferPointer(rebasing: bytes[start..<pos])
                let s = strings?._withUnsafeGuaranteedRef { $0.string(for: text) } ?? String(decoding: text, as: UTF8.self)
                pos += 1
                return s
            }
            if b == 0x5C { break }
            if b < 0x20 { throw error("control character in a string") }
            pos += 1
        }
        var out = Array(bytes[start..<pos])
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x22 {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x5C {
                pos += 1
                guard pos < bytes.count else { break }
                let e = bytes[pos]
                pos += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, peek() == 0x5C, pos + 1 < bytes.count, bytes[pos + 1] == 0x75 {
                        pos += 2
                        let low = try hex4()
                        // A high surrogate must be followed by a low one (found by fuzzing: two
                        // high surrogates in a row made the subtraction below trap).
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("\\u escape of a lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    // A lone surrogate has no Unicode character: refused, not replaced by U+FFFD.
                    guard let character = Unicode.Scalar(scalar) else { throw error("\\u escape of a lone surrogate") }
                    out.append(contentsOf: String(Character(character)).utf8)
                default: throw error("invalid escape in a string")
                }
                continue
            }
            out.append(b)
            pos += 1
        }
        throw error("unterminated string")
    }

    /// The high bit of each zero byte of `w` (exact up to the first zero byte, which is all the callers use).
    @inline(__always)
    static func zeroBytes(_ w: UInt64) -> UInt64 { (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080 }

    private mutating func hex4() throws(DecodeError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    /// Integers that fit in 64 bits become bigint; anything with a fraction or exponent is float.
    mutating func readNumber() throws(DecodeError) -> Value {
        guard let p = bytes.baseAddress else { throw error("invalid number") }
        let n = bytes.count, start = pos
        var i = pos
        let negative = i < n && p[i] == 0x2D
        if negative { i += 1 }
        // Up to 19 digits fit the mantissa; more set `overflow` and the text is read the slow way.
        var mantissa: UInt64 = 0
        let intStart = i
        while i < n {
            let d = p[i] &- 0x30
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - intStart
        guard digits > 0 else { pos = i; throw error("invalid number") }
        if p[intStart] == 0x30 && digits > 1 { pos = i; throw error("numbers cannot have leading zeros") }
        var exp10 = 0
        var isFloat = false
        if i < n, p[i] == 0x2E {
            isFloat = true
            i += 1
            let fracStart = i
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            guard i > fracStart else { pos = i; throw error("invalid number") }
            exp10 = fracStart - i
            digits += i - fracStart
        }
        if i < n, p[i] | 0x20 == 0x65 {
            isFloat = true
            i += 1
            var eneg = false
            if i < n, p[i] == 0x2B || p[i] == 0x2D { eneg = p[i] == 0x2D; i += 1 }
            var e = 0
            let eStart = i
            while i < n {
                let d = p[i] &- 0x30
                if d > 9 { break }
                e = min(e * 10 + Int(d), 100_000)
                i += 1
            }
            guard i > eStart else { pos = i; throw error("invalid number") }
            exp10 += eneg ? -e : e
        }
        pos = i
        let overflow = digits > 19
        if !isFloat {
            if !overflow {
                if negative, mantissa <= UInt64(Int64.max) + 1 { return .bigint(mantissa == UInt64(Int64.max) + 1 ? .min : -Int64(mantissa)) }
                if !negative, mantissa <= UInt64(Int64.max) { return .bigint(Int64(mantissa)) }
            }
            throw error("integer out of bigint range")
        }
        // Exact fast path (Clinger): both the mantissa and the power of ten are exact doubles.
        if !overflow, mantissa < (1 << 53), exp10 >= -22, exp10 <= 22 {
            var d = Double(mantissa)
            d = exp10 < 0 ? d / pow10[-exp10] : d * pow10[exp10]
            return .float(negative ? -d : d)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let d = Double(text) else { throw error("invalid number") }
        // 1e999 would become Infinity, which is no JSON number.
        guard d.isFinite else { throw error("number \(text) is beyond the float range") }
        return .float(d)
    }

    mutating func skipValue() throws(DecodeError) {
        switch peek() {
        case 0x22:
            pos += 1
            while pos < bytes.count {
                let b = bytes[pos]
                if b == 0x22 { pos += 1; return }
                if b == 0x5C { pos += 1 }
                pos += 1
            }
            throw error("unterminated string")
        case 0x7B, 0x5B:
            var depth = 0
            while pos < bytes.count {
                let b = bytes[pos]
                if b == 0x22 {
                    try skipValue()
                    continue
                }
                if b == 0x7B || b == 0x5B { depth += 1 } else if b == 0x7D || b == 0x5D {
                    depth -= 1
                    if depth == 0 { pos += 1; return }
                }
                pos += 1
            }
            throw error("unterminated object or array")
        default:
            _ = try readValue()
        }
    }
}

/// Exact powers of ten for fast number parsing. Written as literals, so the array is built at
/// compile time (a computed global is initialized lazily, a `swift_once` call per number).
private let pow10: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
                               1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

extension JSONCursor {
    /// The record of a JSON object text (`JSON_PARSE`); `nil` for anything else: invalid JSON, an
    /// array, a scalar, or text after the object.
    static func parseObject(_ text: String) -> Record? {
        var text = text
        return text.withUTF8 { bytes in
            var c = JSONCursor(bytes: bytes, booleansAsBit: true)
            c.skipWhitespace()
            guard c.peek() == 0x7B, let record = try? c.readRecord() else { return nil }
            c.skipWhitespace()
            return c.pos == bytes.count ? record : nil
        }
    }
}
