import Foundation
import Planner

/// Reads Avro's binary encoding (zig-zag varints, length-prefixed bytes, blocked arrays and maps)
/// from a buffer, as saql values. Every read is bounds-checked: a truncated or corrupt block
/// throws, it never reads past the buffer.
///
/// Types map as Grammar.md's table says: `int`/`long` → bigint, `float`/`double` → float,
/// `boolean` → bit, `string` and `enum` → nvarchar, `bytes`/`fixed` → nvarchar in base64,
/// `decimal` → float, `date` and `timestamp-*` → datetime, records and maps → records,
/// arrays → arrays, unions → the branch's value.
struct AvroDecoder {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, at pos: Int = 0) {
        self.bytes = bytes
        self.pos = pos
    }

    private func error(_ message: String) -> DecodeError { DecodeError(message: message, offset: pos) }

    mutating func readLong() throws(DecodeError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < bytes.count else { throw error("an Avro number runs past the end of its block") }
            let b = bytes[pos]
            pos += 1
            guard shift < 64 else { throw error("an Avro number is longer than 10 bytes") }
            raw |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A length or count: a long that must be non-negative and fit what is left.
    private mutating func readLength() throws(DecodeError) -> Int {
        let n = try readLong()
        guard n >= 0, n <= Int64(bytes.count - pos) else { throw error("an Avro length of \(n) does not fit its block") }
        return Int(n)
    }

    mutating func readBytes() throws(DecodeError) -> UnsafeBufferPointer<UInt8> {
        let n = try readLength()
        return try take(n)
    }

    private mutating func take(_ n: Int) throws(DecodeError) -> UnsafeBufferPointer<UInt8> {
        guard n <= bytes.count - pos else { throw error("Avro data runs past the end of its block") }
        defer { pos += n }
        return UnsafeBufferPointer(rebasing: bytes[pos..<pos + n])
    }

    mutating func readString() throws(DecodeError) -> String {
        let b = try readBytes()
        if let p = TextValidation.problem(in: b, allowingNewlines: true) { throw error("an Avro string is not valid text: \(p.message)") }
        return String(decoding: b, as: UTF8.self)
    }

    private mutating func readFixed64() throws(DecodeError) -> UInt64 {
        let b = try take(8)
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    /// The count of the next block of an array or map; a negative count is followed by the block's
    /// byte size (which readers may use to skip it).
    private mutating func readBlockCount() throws(DecodeError) -> Int {
        var n = try readLong()
        if n < 0 {
            n = n == .min ? 0 : -n
            _ = try readLong()
        }
        // Each item takes at least... zero bytes (a null), so bound the count by what is left
        // times a generous factor against a corrupt count that would loop for ever.
        guard n <= Int64(bytes.count - pos) * 8 + 1_000_000 else { throw error("an Avro block count of \(n) is not plausible") }
        return Int(n)
    }

    /// Decodes one value of `schema`. `depth` bounds nesting as ``Value/maxNesting`` does for JSON.
    mutating func read(_ schema: AvroSchema, depth: Int = 0) throws(DecodeError) -> Value {
        switch schema {
        case .null: return .null
        case .boolean:
            let b = try take(1)[0]
            guard b <= 1 else { throw error("an Avro boolean is \(b), not 0 or 1") }
            return .bit(b == 1)
        case .int, .long: return .bigint(try readLong())
        case .float:
            let b = try take(4)
            let bits = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
            return .float(Double(Float(bitPattern: bits)))
        case .double: return .float(Double(bitPattern: try readFixed64()))
        case .string: return .string(try readString())
        case .bytes: return .string(Data(try readBytes()).base64EncodedString())
        case .fixed(let size): return .string(Data(try take(size)).base64EncodedString())
        case .date:
            let days = try readLong()
            let (ticks, overflow) = days.multipliedReportingOverflow(by: Timestamp.ticksPerDay)
            guard !overflow else { throw error("an Avro date of \(days) days is out of range") }
            return .datetime(Timestamp(ticks: ticks))
        case .timestamp(let unit):
            let v = try readLong()
            if unit < 100 {
                let per = 100 / unit
                return .datetime(Timestamp(ticks: v >= 0 ? v / per : -((-(v + 1)) / per) - 1))
            }
            let (ticks, overflow) = v.multipliedReportingOverflow(by: unit / 100)
            guard !overflow else { throw error("an Avro timestamp of \(v) is out of range") }
            return .datetime(Timestamp(ticks: ticks))
        case .decimal(let scale, let size):
            let b = size != nil ? try take(size ?? 0) : try readBytes()
            return .float(Self.decimal(b, scale: scale))
        case .enumeration(let symbols):
            let i = try readLong()
            guard i >= 0, i < Int64(symbols.count) else { throw error("an Avro enum index \(i) is out of range") }
            return .string(symbols[Int(i)])
        case .array(let items):
            guard depth < Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
            var out: [Value] = []
            while case let n = try readBlockCount(), n > 0 {
                for _ in 0..<n { out.append(try read(items, depth: depth + 1)) }
            }
            return .array(out)
        case .map(let values):
            guard depth < Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
            var r = Record()
            while case let n = try readBlockCount(), n > 0 {
                for _ in 0..<n {
                    let key = try readString()
                    r.set(key, try read(values, depth: depth + 1))
                }
            }
            return .record(r)
        case .union(let branches):
            let i = try readLong()
            guard i >= 0, i < Int64(branches.count) else { throw error("an Avro union branch \(i) is out of range") }
            return try read(branches[Int(i)], depth: depth)
        case .record(_, let fields):
            guard depth < Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
            var names: [String] = []
            var values: [Value] = []
            names.reserveCapacity(fields.count)
            values.reserveCapacity(fields.count)
            for f in fields {
                names.append(f.name)
                values.append(try read(f.type, depth: depth + 1))
            }
            return .record(Record(names: names, values: values))
        case .recursive(let name):
            throw error("the Avro schema's record '\(name)' contains itself; recursive records cannot be read")
        }
    }

    /// Moves past one value of `schema` without building it.
    mutating func skip(_ schema: AvroSchema, depth: Int = 0) throws(DecodeError) {
        switch schema {
        case .null: break
        case .boolean: _ = try take(1)
        case .int, .long, .date, .timestamp, .enumeration: _ = try readLong()
        case .float: _ = try take(4)
        case .double: _ = try take(8)
        case .string, .bytes: _ = try readBytes()
        case .fixed(let size): _ = try take(size)
        case .decimal(_, let size): _ = size != nil ? try take(size ?? 0) : try readBytes()
        case .array(let items), .map(let items):
            guard depth < Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
            let isMap = if case .map = schema { true } else { false }
            while case let n = try readBlockCount(), n > 0 {
                for _ in 0..<n {
                    if isMap { _ = try readBytes() }
                    try skip(items, depth: depth + 1)
                }
            }
        case .union(let branches):
            let i = try readLong()
            guard i >= 0, i < Int64(branches.count) else { throw error("an Avro union branch \(i) is out of range") }
            try skip(branches[Int(i)], depth: depth)
        case .record(_, let fields):
            guard depth < Value.maxNesting else { throw error("nested deeper than \(Value.maxNesting) levels") }
            for f in fields { try skip(f.type, depth: depth + 1) }
        case .recursive(let name):
            throw error("the Avro schema's record '\(name)' contains itself; recursive records cannot be read")
        }
    }

    /// The bytes of the next value when it is a string or bytes (or a union's such branch),
    /// without moving; throws for other values.
    func peekRawText(_ schema: AvroSchema) throws(DecodeError) -> UnsafeBufferPointer<UInt8> {
        var copy = self
        guard let start = copy.rawStart(schema) else { throw error("not text") }
        copy.pos = start
        return try copy.readBytes()
    }

    /// Where the length of a string or bytes value starts, past a union's branch index.
    private mutating func rawStart(_ schema: AvroSchema) -> Int? {
        switch schema {
        case .string, .bytes: return pos
        case .union(let branches):
            guard let i = try? readLong(), i >= 0, i < Int64(branches.count) else { return nil }
            return rawStart(branches[Int(i)])
        default: return nil
        }
    }

    /// The bytes of a `bytes` or `string` value, or of a union's such branch (NULL: nil), without
    /// converting them (an Event Hubs Capture `Body`).
    mutating func readRawBytes(_ schema: AvroSchema) throws(DecodeError) -> [UInt8]? {
        switch schema {
        case .bytes, .string: return Array(try readBytes())
        case .null: return nil
        case .union(let branches):
            let i = try readLong()
            guard i >= 0, i < Int64(branches.count) else { throw error("an Avro union branch \(i) is out of range") }
            return try readRawBytes(branches[Int(i)])
        default: throw error("the field is \(schema.description), not bytes")
        }
    }

    /// A big-endian two's-complement unscaled integer divided by 10^scale.
    static func decimal(_ b: UnsafeBufferPointer<UInt8>, scale: Int) -> Double {
        guard let first = b.first else { return 0 }
        var v = 0.0
        for byte in b { v = v * 256 + Double(byte) }
        if first & 0x80 != 0 { v -= pow(2, Double(b.count * 8)) }
        return v / pow(10, Double(scale))
    }
}
