import DequeModule
import Planner

/// `MIN(x)` and `MAX(x)` over any comparable type (strings ignore case); the first of equal values
/// wins in a GROUP BY window.
struct ExtremumAggregate<Direction: ExtremumDirection>: StatefulAggregate {
    typealias State = ExtremumState<Direction>
    /// Sliding windows keep a monotonic queue, so each value costs amortized O(1).
    typealias WindowState = MonotonicExtremumState<Direction>
    var name: String { Direction.isMax ? "MAX" : "MIN" }
    var doc: String { Direction.isMax ? "the largest value" : "the smallest value" }
    var arguments: AggregateArguments { .value(numeric: false, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { call.argument?.type ?? .any }
}

/// Which end an extremum keeps.
protocol ExtremumDirection: Sendable {
    static var isMax: Bool { get }
}

enum Largest: ExtremumDirection { static var isMax: Bool { true } }
enum Smallest: ExtremumDirection { static var isMax: Bool { false } }

struct ExtremumState<Direction: ExtremumDirection>: AggregateState {
    private var best: Value = .null

    init(_ call: AggregateCall) {}

    @inline(__always)
    mutating func add(_ value: Value) throws(EvalError) {
        if case .float(let b) = value, case .float(let a) = best {
            if Direction.isMax ? b > a : b < a { best = value }
            return
        }
        if best.isNull { best = value; return }
        guard let c = try Comparison.compare(value, best) else { return }
        if Direction.isMax ? c > 0 : c < 0 { best = value }
    }

    func result() -> Value { best }
    func save(into w: inout StateWriter) { w.write(best) }
    mutating func restore(from r: inout StateReader) throws(StateError) { best = try r.readValue() }
}

/// A monotonic queue of the candidates: a value leaves the back once a newer one is at least as
/// extreme, so the front is the window's extremum (the latest of equal values).
struct MonotonicExtremumState<Direction: ExtremumDirection>: RetractableAggregateState {
    private var queue = Deque<(seq: Int, value: Value)>()
    private var added = 0, removed = 0

    init(_ call: AggregateCall) {}

    mutating func add(_ value: Value) throws(EvalError) {
        defer { added += 1 }
        while let last = queue.last {
            guard let c = try Comparison.compare(value, last.value) else { break }
            if Direction.isMax ? c >= 0 : c <= 0 { queue.removeLast() } else { break }
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
