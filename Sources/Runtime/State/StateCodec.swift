import Planner

/// A checkpoint that cannot be used: damaged bytes, or state written by another job or version.
///
/// Restoring never traps on bad bytes: every count, length, tag and version is checked and a
/// failure is thrown as a `StateError` naming what was wrong and, once known, where (the plan node
/// and operator, or the state store's file).
public struct StateError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: Sendable {
        /// The bytes end before the state does.
        case truncated
        /// The bytes do not decode: a negative or impossible count, an unknown tag, a wrong shape.
        case corrupt
        /// Well formed, but for another job, plan or state version.
        case incompatible
    }

    public var kind: Kind
    public var message: String

    public init(_ message: String, kind: Kind = .corrupt) {
        self.kind = kind
        self.message = message
    }

    /// The same error with `location` (an operator, a file) in front of its message.
    public func at(_ location: String) -> StateError { StateError("\(location): \(message)", kind: kind) }

    public var description: String { message }
}

/// Writes operator state as compact binary: fixed-width little-endian numbers, floats by bit
/// pattern (so a restored state computes bit-identical results), and tagged values.
public struct StateWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    public mutating func write(_ v: Int) { write(Int64(v)) }
    public mutating func write(_ v: Double) { write(v.bitPattern) }
    public mutating func write(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func write(_ v: Bool) { bytes.append(v ? 1 : 0) }

    public mutating func write(bytes: [UInt8]) {
        write(bytes.count)
        self.bytes.append(contentsOf: bytes)
    }

    public mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    public mutating func write(_ v: Value) {
        switch v {
        case .null: bytes.append(0)
        case .bigint(let i): bytes.append(1); write(i)
        case .float(let d): bytes.append(2); write(d)
        case .string(let s): bytes.append(3); write(s)
        case .datetime(let t): bytes.append(4); write(t.ticks)
        case .bit(let b): bytes.append(5); write(b)
        case .record(let r):
            bytes.append(6)
            write(r.count)
            for i in 0..<r.count {
                write(r.names[i])
                write(r.values[i])
            }
        case .array(let a):
            bytes.append(7)
            write(a.count)
            for x in a { write(x) }
        }
    }
}

/// Reads what a ``StateWriter`` wrote, in the same order.
public struct StateReader: Sendable {
    private let bytes: [UInt8]
    private var position = 0

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { position == bytes.count }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - position }

    private mutating func take(_ n: Int) throws(StateError) -> ArraySlice<UInt8> {
        guard n >= 0 else { throw StateError("checkpoint state holds a negative length (\(n))") }
        guard n <= remaining else { throw StateError("checkpoint state ends early", kind: .truncated) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    public mutating func readUInt64() throws(StateError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    public mutating func readInt64() throws(StateError) -> Int64 { Int64(bitPattern: try readUInt64()) }
    public mutating func readInt() throws(StateError) -> Int { Int(try readInt64()) }
    public mutating func readDouble() throws(StateError) -> Double { Double(bitPattern: try readUInt64()) }
    public mutating func readFloat() throws(StateError) -> Float {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return Float(bitPattern: v)
    }
    public mutating func readBool() throws(StateError) -> Bool {
        switch try take(1).first {
        case 0: return false
        case 1: return true
        case let b: throw StateError("checkpoint state holds \(b.map(String.init) ?? "nothing") where a bool goes")
        }
    }

    /// A count of elements that follow, each taking at least `elementSize` bytes: a count the rest
    /// of the bytes cannot hold is corrupt, so no loop or allocation is ever sized by a bad count.
    public mutating func readCount(elementSize: Int = 1) throws(StateError) -> Int {
        let n = try readInt()
        guard n >= 0 else { throw StateError("checkpoint state holds a negative count (\(n))") }
        let (needed, overflow) = n.multipliedReportingOverflow(by: max(elementSize, 1))
        guard !overflow, needed <= remaining else {
            throw StateError("checkpoint state holds a count of \(n) that its \(remaining) remaining bytes cannot hold", kind: .truncated)
        }
        return n
    }

    /// An integer that must lie in `range` (an index, a slot, a small enum).
    public mutating func readInt(in range: Range<Int>, _ what: String) throws(StateError) -> Int {
        let n = try readInt()
        guard range.contains(n) else { throw StateError("checkpoint state holds \(what) \(n), outside \(range.lowerBound)..<\(range.upperBound)") }
        return n
    }

    /// An event or wall-clock time: a representable instant, or `Int64.min` / `Int64.max` (see
    /// ``Timestamp/representable``). Anything else would overflow the operators' time arithmetic.
    public mutating func readTime() throws(StateError) -> Int64 {
        let t = try readInt64()
        guard t == .min || t == .max || Timestamp.representable.contains(t) else {
            throw StateError("checkpoint state holds a time outside years 0001-9999 (\(t) ticks)")
        }
        return t
    }

    /// A list of times (see ``readTime()``).
    public mutating func readTimes() throws(StateError) -> [Int64] {
        let n = try readCount(elementSize: 8)
        var out: [Int64] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readTime()) }
        return out
    }

    public mutating func readBytes() throws(StateError) -> [UInt8] { Array(try take(try readCount())) }

    public mutating func readString() throws(StateError) -> String {
        String(decoding: try take(try readCount()), as: UTF8.self)
    }

    public mutating func readValue() throws(StateError) -> Value { try readValue(depth: 0) }

    private mutating func readValue(depth: Int) throws(StateError) -> Value {
        guard depth <= Value.maxNesting else { throw StateError("checkpoint state nests values deeper than \(Value.maxNesting) levels") }
        guard let tag = try take(1).first else { throw StateError("checkpoint state ends early", kind: .truncated) }
        switch tag {
        case 0: return .null
        case 1: return .bigint(try readInt64())
        case 2: return .float(try readDouble())
        case 3: return .string(try readString())
        case 4: return .datetime(Timestamp(ticks: try readTime()))
        case 5: return .bit(try readBool())
        case 6:
            var r = Record()
            for _ in 0..<(try readCount(elementSize: 9)) {
                let name = try readString()
                r.names.append(name)
                r.values.append(try readValue(depth: depth + 1))
            }
            return .record(r)
        case 7:
            var a: [Value] = []
            for _ in 0..<(try readCount()) { a.append(try readValue(depth: depth + 1)) }
            return .array(a)
        default:
            throw StateError("checkpoint state holds an unknown value tag \(tag)")
        }
    }
}
