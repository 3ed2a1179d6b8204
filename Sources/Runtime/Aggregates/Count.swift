import Planner

/// `COUNT(x)` counts non-NULL values; `COUNT(*)` and `COUNT(input)` count rows; `COUNT(DISTINCT x)`
/// counts distinct non-NULL values (strings ignoring case).
struct CountAggregate: StatefulAggregate {
    typealias State = CountState
    var name: String { "COUNT" }
    var doc: String { "the number of non-NULL values, or of rows with `*`; DISTINCT counts distinct values" }
    var arguments: AggregateArguments { .value(numeric: false, star: true) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { .bigint }

    func makeGroupStates(_ call: AggregateCall) -> any GroupAccumulator {
        call.distinct ? GroupStates<DistinctCountState>(call) : GroupStates<CountState>(call)
    }

    func makeWindowState(_ call: AggregateCall) -> any WindowAccumulator {
        call.distinct ? windowAccumulator(DistinctCountState.self, call) : windowAccumulator(CountState.self, call)
    }
}

struct CountState: RetractableAggregateState {
    private var n: Int64 = 0
    init(_ call: AggregateCall) {}
    mutating func add(_ value: Value) throws(EvalError) { n += 1 }
    mutating func retractOldest(_ value: Value) { n -= 1 }
    func result() -> Value { .bigint(n) }
    func save(into w: inout StateWriter) { w.write(n) }
    mutating func restore(from r: inout StateReader) throws(StateError) {
        n = try r.readInt64()
        guard (0..<(1 << 62)).contains(n) else { throw StateError("count state holds \(n)") }
    }

    static func addRows(_ states: UnsafeMutablePointer<CountState>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            if !countsRows, values[Int(rows[i]) * stride].isNull { continue }
            states[Int(slots[i])].n += 1
        }
    }
}

/// The distinct values seen, with SQL grouping equality.
struct DistinctCountState: AggregateState {
    private var seen = Set<DistinctValue>()
    init(_ call: AggregateCall) {}
    mutating func add(_ value: Value) throws(EvalError) { seen.insert(DistinctValue(value)) }
    func result() -> Value { .bigint(Int64(seen.count)) }
    func save(into w: inout StateWriter) { w.write(seen.map(\.value)) }
    mutating func restore(from r: inout StateReader) throws(StateError) { seen = Set(try r.readValues().map(DistinctValue.init)) }
}

/// A value hashed and compared with SQL grouping equality (strings ignore case).
struct DistinctValue: Hashable {
    let value: Value
    init(_ v: Value) { value = v }
    static func == (a: DistinctValue, b: DistinctValue) -> Bool { Comparison.groupEqual(a.value, b.value) }
    func hash(into h: inout Hasher) { h.combine(Comparison.groupHash(value)) }
}
