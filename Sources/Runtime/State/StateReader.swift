import Planner

/// Reads what a ``StateWriter`` wrote, in the same order.
package struct StateReader: Sendable {
    private let bytes: [UInt8]
    private var position = 0

    package init(bytes: [UInt8]) { self.bytes = bytes }

    package var isAtEnd: Bool { position == bytes.count }

    /// Bytes not read yet.
    package var remaining: Int { bytes.count - position }

    private mutating func take(_ n: Int) throws(StateError) -> ArraySlice<UInt8> {
        guard n >= 0 else { throw StateError("checkpoint state holds a negative length (\(n))") }
        guard n <= remaining else { throw StateError("checkpoint state ends early", kind: .truncated) }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    package mutating func readUInt64() throws(StateError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    package mutating func readInt64() throws(StateError) -> Int64 { Int64(bitPattern: try readUInt64()) }
    package mutating func readInt() throws(StateError) -> Int { Int(try readInt64()) }
    package mutating func readDouble() throws(StateError) -> Double { Double(bitPattern: try readUInt64()) }
    package mutating func readFloat() throws(StateError) -> Float {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return Float(bitPattern: v)
    }
    package mutating func readBool() throws(StateError) -> Bool {
        switch try take(1).first {
        case 0: return false
        case 1: return true
        case let b: throw StateError("checkpoint state holds \(b.map(String.init) ?? "nothing") where a bool goes")
        }
    }

    /// A count of elements that follow, each taking at least `elementSize` bytes: a count the rest
    /// of the bytes cannot hold is corrupt, so no loop or allocation is ever sized by a bad count.
    package mutating func readCount(elementSize: Int = 1) throws(StateError) -> Int {
        let n = try readInt()
        guard n >= 0 else { throw StateError("checkpoint state holds a negative count (\(n))") }
        let (needed, overflow) = n.multipliedReportingOverflow(by: max(elementSize, 1))
        guard !overflow, needed <= remaining else {
            throw StateError("checkpoint state holds a count of \(n) that its \(remaining) remaining bytes cannot hold", kind: .truncated)
        }
        return n
    }

    /// An integer that must lie in `range` (an index, a slot, a small enum).
    package mutating func readInt(in range: Range<Int>, _ what: String) throws(StateError) -> Int {
        let n = try readInt()
        guard range.contains(n) else { throw StateError("checkpoint state holds \(what) \(n), outside \(range.lowerBound)..<\(range.upperBound)") }
        return n
    }

    /// An event or wall-clock time: a representable instant, or `Int64.min` / `Int64.max` (see
    /// ``Timestamp/representable``). Anything else would overflow the operators' time arithmetic.
    package mutating func readTime() throws(StateError) -> Int64 {
        let t = try readInt64()
        guard t == .min || t == .max || Timestamp.representable.contains(t) else {
            throw StateError("checkpoint state holds a time outside years 0001-9999 (\(t) ticks)")
        }
        return t
    }

    /// An event's time: a representable instant (no open end; events never carry one).
    package mutating func readEventTime() throws(StateError) -> Int64 {
        let t = try readInt64()
        guard Timestamp.representable.contains(t) else {
            throw StateError("checkpoint state holds an event time outside years 0001-9999 (\(t) ticks)")
        }
        return t
    }

    /// A list of event times (see ``readEventTime()``).
    package mutating func readEventTimes() throws(StateError) -> [Int64] { try readList(elementSize: 8) { r throws(StateError) in try r.readEventTime() } }

    /// A list of times (see ``readTime()``).
    package mutating func readTimes() throws(StateError) -> [Int64] { try readList(elementSize: 8) { r throws(StateError) in try r.readTime() } }

    /// A count, then that many elements of at least `elementSize` bytes each.
    private mutating func readList<T>(elementSize: Int, _ element: (inout StateReader) throws(StateError) -> T) throws(StateError) -> [T] {
        let n = try readCount(elementSize: elementSize)
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    package mutating func readBytes() throws(StateError) -> [UInt8] { Array(try take(try readCount())) }

    package mutating func readString() throws(StateError) -> String {
        String(decoding: try take(try readCount()), as: UTF8.self)
    }

    package mutating func readValue() throws(StateError) -> Value { try readValue(depth: 0) }

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

extension StateReader {
    package mutating func readValues() throws(StateError) -> [Value] { try readList(elementSize: 1) { r throws(StateError) in try r.readValue() } }

    package mutating func readInt64s() throws(StateError) -> [Int64] { try readList(elementSize: 8) { r throws(StateError) in try r.readInt64() } }

    /// A batch written by ``StateWriter/write(_:)-(EventBatch)``, whose rows must be `width` wide.
    package mutating func readBatch(width: Int) throws(StateError) -> EventBatch {
        guard try readInt() == width else { throw StateError("a batch in the state does not have the job's row width \(width)") }
        var batch = EventBatch(width: width)
        batch.values = try readValues()
        batch.times = try readEventTimes()
        batch.arrivals = try readTimes()
        batch.partitions = try readInt64s().map { Int32(truncatingIfNeeded: $0) }
        guard batch.values.count == batch.times.count * batch.width, batch.arrivals.isEmpty || batch.arrivals.count == batch.times.count,
              batch.partitions.isEmpty || batch.partitions.count == batch.times.count, batch.partitions.allSatisfy({ $0 >= 0 }) else {
            throw StateError("checkpoint batch has a wrong shape")
        }
        return batch
    }

    /// Fails unless the next value is `expected` (a section marker or a count the plan fixes).
    package mutating func expect(_ expected: Int, _ what: String) throws(StateError) {
        let n = try readInt()
        guard n == expected else { throw StateError("checkpoint does not match the job: \(what) is \(n), the job has \(expected)") }
    }
}
