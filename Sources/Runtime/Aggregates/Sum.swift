import Planner

/// `SUM(x)`: bigint while every value is an integer and the exact sum fits, float once any value is
/// a float (or the sum does not fit); NULL over no values.
struct SumAggregate: StatefulAggregate {
    typealias State = SumState
    var name: String { "SUM" }
    var doc: String { "the sum of the values: bigint for integers, float once a float is seen" }
    var arguments: AggregateArguments { .value(numeric: true, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType {
        let t = call.argument?.type ?? .any
        return t == .bigint || t == .float ? t : .any
    }
}

/// The integer part is kept exactly in 128 bits (`high`, `low`), so adding and retracting never
/// round; the float sum runs beside it for when a float comes or the sum leaves bigint's range.
struct SumState: RetractableAggregateState {
    private var count: Int64 = 0
    private var floats: Int64 = 0
    private var high: Int64 = 0
    private var low: UInt64 = 0
    private var floatSum = 0.0

    init(_ call: AggregateCall) {}

    mutating func add(_ value: Value) throws(EvalError) {
        if case .bigint(let i) = value {
            addInteger(i)
            floatSum += Double(i)
        } else {
            guard let d = try Conversions.double(value) else { return }
            floatSum += d
            floats += 1
        }
        count += 1
    }

    mutating func retractOldest(_ value: Value) {
        if case .bigint(let i) = value {
            let (difference, borrow) = low.subtractingReportingOverflow(UInt64(bitPattern: i))
            low = difference
            high = high &- (i < 0 ? -1 : 0) &- (borrow ? 1 : 0)
            floatSum -= Double(i)
        } else {
            guard let d = try? Conversions.double(value) else { return }
            floatSum -= d
            floats -= 1
        }
        count -= 1
        if count == 0 { (floatSum, high, low) = (0, 0, 0) }  // no drift carried into the next burst
    }

    /// Adds `i`, sign-extended, to the 128-bit integer sum.
    private mutating func addInteger(_ i: Int64) {
        let (sum, carry) = low.addingReportingOverflow(UInt64(bitPattern: i))
        low = sum
        high = high &+ (i < 0 ? -1 : 0) &+ (carry ? 1 : 0)
    }

    static func addRows(_ states: UnsafeMutablePointer<SumState>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        addEach(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors) { (p: UnsafeMutablePointer, v: Value) throws(EvalError) in try p.pointee.add(v) }
    }

    func result() -> Value {
        guard count > 0 else { return .null }
        // The 128-bit sum fits in bigint when its high word is the sign extension of its low word.
        if floats == 0, high == (Int64(bitPattern: low) < 0 ? -1 : 0) { return .bigint(Int64(bitPattern: low)) }
        return .float(floatSum)
    }

    func save(into w: inout StateWriter) {
        w.write([count, floats, high, Int64(bitPattern: low), Int64(bitPattern: floatSum.bitPattern)])
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        let v = try r.readInt64s()
        guard v.count == 5, (0..<(1 << 62)).contains(v[0]), v[1] >= 0, v[1] <= v[0] else { throw StateError("sum state has a wrong shape") }
        (count, floats, high, low) = (v[0], v[1], v[2], UInt64(bitPattern: v[3]))
        floatSum = Double(bitPattern: UInt64(bitPattern: v[4]))
    }
}

/// `AVG(x)`: always a float (see Grammar.md: ASA leaves the type of an integer average open).
struct AverageAggregate: StatefulAggregate {
    typealias State = AverageState
    var name: String { "AVG" }
    var doc: String { "the mean of the values, as a float" }
    var arguments: AggregateArguments { .value(numeric: true, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { .float }
}

struct AverageState: RetractableAggregateState {
    private var sum = 0.0
    private var count: Int64 = 0

    init(_ call: AggregateCall) {}

    @inline(__always)
    mutating func add(_ value: Value) throws(EvalError) {
        if case .float(let d) = value {
            sum += d
            count += 1
            return
        }
        guard let d = try Conversions.double(value) else { return }
        sum += d
        count += 1
    }

    mutating func retractOldest(_ value: Value) {
        guard let d = try? Conversions.double(value) else { return }
        sum -= d
        count -= 1
        if count == 0 { sum = 0 }
    }

    func result() -> Value { count == 0 ? .null : .float(sum / Double(count)) }

    static func addRows(_ states: UnsafeMutablePointer<AverageState>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        addEach(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors) { (p: UnsafeMutablePointer, v: Value) throws(EvalError) in try p.pointee.add(v) }
    }
    func save(into w: inout StateWriter) { w.write(sum); w.write(count) }
    mutating func restore(from r: inout StateReader) throws(StateError) {
        sum = try r.readDouble()
        count = try r.readInt64()
        guard (0..<(1 << 62)).contains(count) else { throw StateError("average state holds a count of \(count)") }
    }
}
