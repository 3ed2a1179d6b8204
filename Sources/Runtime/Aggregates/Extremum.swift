import DequeModule
import Planner

/// `MIN(x)` and `MAX(x)` over bit, bigint, float and datetime values. Text is compared as text only
/// when the argument is CAST (or TRY_CAST) to nvarchar(max), ignoring case; otherwise each string is
/// converted to float, as ASA documents, and one that is not a number is a row error. The first of
/// equal values wins in a GROUP BY window.
struct ExtremumAggregate: StatefulAggregate {
    typealias State = ExtremumState
    /// Sliding windows keep a monotonic queue, so each value costs amortized O(1).
    typealias WindowState = MonotonicExtremumState

    let isMax: Bool
    var name: String { isMax ? "MAX" : "MIN" }
    var doc: String { isMax ? "the largest value" : "the smallest value" }
    var arguments: AggregateArguments { .value(numeric: false, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { call.argument?.type ?? .any }
}

extension AggregateCall {
    /// True for `MAX`, false for `MIN`.
    var keepsLargest: Bool { function.name == "MAX" }

    /// True when the argument is explicitly CAST to nvarchar(max): strings then compare as strings.
    var comparesText: Bool {
        if case .cast(_, .nvarchar, _)? = argument?.kind { return true }
        return false
    }
}

extension Value {
    /// A string as MIN and MAX see it: converted to float unless the call compares text.
    @inline(__always)
    func extremumOperand(comparesText: Bool) throws(EvalError) -> Value {
        guard !comparesText, case .string = self, let d = try Conversions.double(self) else { return self }
        return .float(d)
    }
}

struct ExtremumState: AggregateState {
    private var best: Value = .null
    private let isMax: Bool
    private let comparesText: Bool

    init(_ call: AggregateCall) {
        isMax = call.keepsLargest
        comparesText = call.comparesText
    }

    @inline(__always)
    mutating func add(_ value: Value) throws(EvalError) {
        if case .float(let b) = value, case .float(let a) = best {
            if isMax ? b > a : b < a { best = value }
            return
        }
        let value = try value.extremumOperand(comparesText: comparesText)
        if best.isNull { best = value; return }
        guard let c = try Comparison.compare(value, best) else { return }
        if isMax ? c > 0 : c < 0 { best = value }
    }

    func result() -> Value { best }

    static func addRows(_ states: UnsafeMutablePointer<ExtremumState>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        addEach(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors) { (p: UnsafeMutablePointer, v: Value) throws(EvalError) in try p.pointee.add(v) }
    }

    func save(into w: inout StateWriter) { w.write(best) }
    mutating func restore(from r: inout StateReader) throws(StateError) { best = try r.readValue() }
}

/// A monotonic queue of the candidates: a value leaves the back once a newer one is at least as
/// extreme, so the front is the window's extremum (the latest of equal values).
struct MonotonicExtremumState: RetractableAggregateState {
    private var queue = Deque<(seq: Int, value: Value)>()
    private var added = 0, removed = 0
    private let isMax: Bool
    private let comparesText: Bool

    init(_ call: AggregateCall) {
        isMax = call.keepsLargest
        comparesText = call.comparesText
    }

    mutating func add(_ value: Value) throws(EvalError) {
        // Every value takes a sequence number, even one that fails, so retraction stays in step.
        defer { added += 1 }
        let value = try value.extremumOperand(comparesText: comparesText)
        while let last = queue.last {
            guard let c = try Comparison.compare(value, last.value) else { break }
            if isMax ? c >= 0 : c <= 0 { queue.removeLast() } else { break }
        }
        queue.append((added, value))
    }

    mutating func retractOldest(_ value: Value) {
        if let first = queue.first, first.seq == removed { queue.removeFirst() }
        removed += 1
    }

    func result() -> Value { queue.first?.value ?? .null }

    func save(into w: inout StateWriter) {
        w.write(added)
        w.write(removed)
        w.write(queue.map { Int64($0.seq) })
        w.write(queue.map(\.value))
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        added = try r.readInt()
        removed = try r.readInt()
        let seqs = try r.readInt64s(), values = try r.readValues()
        guard seqs.count == values.count, removed >= 0, removed <= added, added < 1 << 62,
              seqs.allSatisfy({ $0 >= removed && $0 < added }) else { throw StateError("extremum state has a wrong shape") }
        queue = Deque(zip(seqs, values).map { (Int($0.0), $0.1) })
    }
}
