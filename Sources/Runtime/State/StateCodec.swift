import Planner

/// A malformed or incompatible checkpoint.
public struct StateError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
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

    private mutating func take(_ n: Int) throws(StateError) -> ArraySlice<UInt8> {
        guard n >= 0, position + n <= bytes.count else { throw StateError("checkpoint state ends early") }
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
    public mutating func readBool() throws(StateError) -> Bool { try take(1).first == 1 }

    public mutating func readBytes() throws(StateError) -> [UInt8] { Array(try take(try readInt())) }

    public mutating func readString() throws(StateError) -> String {
        String(decoding: try take(try readInt()), as: UTF8.self)
    }

    public mutating func readValue() throws(StateError) -> Value {
        guard let tag = try take(1).first else { throw StateError("checkpoint state ends early") }
        switch tag {
        case 0: return .null
        case 1: return .bigint(try readInt64())
        case 2: return .float(try readDouble())
        case 3: return .string(try readString())
        case 4: return .datetime(Timestamp(ticks: try readInt64()))
        case 5: return .bit(try readBool())
        case 6:
            var r = Record()
            for _ in 0..<(try readInt()) {
                let name = try readString()
                r.names.append(name)
                r.values.append(try readValue())
            }
            return .record(r)
        case 7:
            var a: [Value] = []
            for _ in 0..<(try readInt()) { a.append(try readValue()) }
            return .array(a)
        default:
            throw StateError("checkpoint state holds an unknown value tag \(tag)")
        }
    }
}
