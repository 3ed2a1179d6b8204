import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A malformed event: what is wrong and where, as a byte offset into the event's text.
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { message }
}

/// Reads one JSON object into a row: the fields the job references go to their columns by name
/// (ignoring case); other fields are skipped without being decoded, unless the whole event is wanted
/// as a record. Works on raw bytes; creates Strings only for the values it keeps.
public struct JSONEventParser {
    /// The wanted field names, in column order.
    let fields: FieldNames
    /// The column of field `i` in the row.
    let fieldColumn: [Int]
    /// Whether field `i` is read only as the event time (so it may be stored as a datetime).
    let asTimestamp: [Bool]
    let wantsRecord: Bool
    /// Lower-cased name of the field holding the arrival time, if any.
    let arrivalField: [UInt8]?
    /// Compatibility level 1.2 reads JSON booleans as bit; earlier levels as bigint 0/1.
    let booleansAsBit: Bool
    /// For each key position in the previous event, the field it matched: a hint for the next event.
    var hints: [Int] = []
    let strings = StringCache()

    public init(layout: InputLayout, arrivalField: String?, compatibility: CompatibilityLevel) {
        fields = FieldNames(layout.fields)
        fieldColumn = layout.fields.indices.map { layout.column(ofField: $0) }
        asTimestamp = layout.fields.indices.map { layout.timestampOnly.contains($0) }
        wantsRecord = layout.wantsRecord
        self.arrivalField = arrivalField.map { Array($0.lowercased().utf8) }
        booleansAsBit = compatibility >= .v1_2
    }

    /// Parses the object in `bytes` into `row` (which holds NULLs on entry). Returns the arrival time
    /// found in the arrival field, if any.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, into row: UnsafeMutablePointer<Value>) throws(DecodeError) -> Int64? {
        var c = JSONCursor(bytes: bytes, booleansAsBit: booleansAsBit, strings: strings)
        c.skipWhitespace()
        guard c.peek() == UInt8(ascii: "{") else { throw c.error("expected a JSON object") }
        c.pos += 1
        var names: [String] = []
        var values: [Value] = []
        var arrival: Int64?
        var position = 0
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            while true {
                c.skipWhitespace()
                let key = try c.readKey()
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw c.error("expected ':' after an object key") }
                c.pos += 1
                c.skipWhitespace()
                let field = match(key, position: position, bytes: bytes)
                if field >= 0, asTimestamp[field], c.peek() == 0x22, let t = c.readTimestamp() {
                    row[fieldColumn[field]] = .datetime(t)
                } else if field >= 0 || wantsRecord {
                    let v = try c.readValue()
                    if field >= 0 { row[fieldColumn[field]] = v }
                    if wantsRecord {
                        let name = key.decoded(bytes)
                        if !names.contains(where: { $0.caseInsensitiveEquals(name) }) {
                            names.append(name)
                            values.append(v)
                        }
                    }
                    if let af = arrivalField, key.equalsFolded(af, bytes), case .string(let s) = v {
                        arrival = Timestamp(parsing: s)?.ticks
                    }
                } else if let af = arrivalField, key.equalsFolded(af, bytes) {
                    if case .string(let s) = try c.readValue() { arrival = Timestamp(parsing: s)?.ticks }
                } else {
                    try c.skipValue()
                }
                position += 1
                c.skipWhitespace()
                if c.peek() == UInt8(ascii: ",") { c.pos += 1; continue }
                if c.peek() == UInt8(ascii: "}") { c.pos += 1; break }
                throw c.error("expected ',' or '}' in an object")
            }
        }
        c.skipWhitespace()
        guard c.pos == bytes.count else { throw c.error("unexpected text after the JSON object") }
        if wantsRecord { row[0] = .record(Record(names: names, values: values)) }
        return arrival
    }

    /// The wanted field matching `key`, or -1. Tries the field seen at this position last time first.
    @inline(__always)
    private mutating func match(_ key: JSONCursor.Key, position: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if position < hints.count {
            let h = hints[position]
            if h >= 0, fields.matches(h, key, bytes) { return h }
        }
        var found = -1
        if !key.escaped && fields.cannotMatch(key) { return found }
        for i in 0..<fields.count where fields.matches(i, key, bytes) {
            found = i
            break
        }
        if position < hints.count { hints[position] = found } else if position == hints.count { hints.append(found) }
        return found
    }
}

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

/// A position in a JSON text and the primitive readers over it.
struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let booleansAsBit: Bool
    var pos = 0
    /// Interns short string values, which repeat across events (device ids, types).
    let strings: StringCache?

    init(bytes: UnsafeBufferPointer<UInt8>, booleansAsBit: Bool, strings: StringCache? = nil) {
        self.bytes = bytes
        self.booleansAsBit = booleansAsBit
        self.strings = strings
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
            return (try? c.readString()) ?? ""
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
    mutating func readTimestamp() -> Timestamp? {
        let start = pos + 1
        var i = start
        while i < bytes.count, bytes[i] != 0x22 {
            if bytes[i] == 0x5C { return nil }
            i += 1
        }
        guard i < bytes.count, let t = Timestamp.parse(UnsafeBufferPointer(rebasing: bytes[start..<i])) else { return nil }
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

    mutating func readRecord() throws(DecodeError) -> Record {
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
        // Fast path: no escapes.
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x22 {
                let text = UnsafeBufferPointer(rebasing: bytes[start..<pos])
                let s = strings?.string(for: text) ?? String(decoding: text, as: UTF8.self)
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
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default: throw error("invalid escape in a string")
                }
                continue
            }
            out.append(b)
            pos += 1
        }
        throw error("unterminated string")
    }

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
        let start = pos
        var negative = false
        if peek() == 0x2D { negative = true; pos += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var overflow = false
        let intStart = pos
        while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[pos] - 0x30) } else { overflow = true }
            digits += 1
            pos += 1
        }
        guard pos > intStart else { throw error("invalid number") }
        if bytes[intStart] == 0x30 && pos - intStart > 1 { throw error("numbers cannot have leading zeros") }
        var exp10 = 0
        var isFloat = false
        if peek() == 0x2E {
            isFloat = true
            pos += 1
            let fracStart = pos
            while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(bytes[pos] - 0x30)
                    exp10 -= 1
                } else {
                    overflow = true
                }
                digits += 1
                pos += 1
            }
            guard pos > fracStart else { throw error("invalid number") }
        }
        if peek() == 0x65 || peek() == 0x45 {
            isFloat = true
            pos += 1
            var eneg = false
            if peek() == 0x2B || peek() == 0x2D { eneg = peek() == 0x2D; pos += 1 }
            var e = 0
            let eStart = pos
            while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39 {
                e = min(e * 10 + Int(bytes[pos] - 0x30), 100_000)
                pos += 1
            }
            guard pos > eStart else { throw error("invalid number") }
            exp10 += eneg ? -e : e
        }
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

private let pow10: [Double] = (0...22).map { k in
    var v = 1.0
    for _ in 0..<k { v *= 10 }
    return v
}

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
