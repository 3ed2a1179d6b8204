import Planner

/// One aggregate over a window whose values arrive and leave in order: sliding windows, `LIMIT
/// DURATION` histories and MATCH_RECOGNIZE measures. The caller keeps the window's values.
package protocol WindowAccumulator: AnyObject {
    /// Adds the newest value (NULLs included: the accumulator skips what its call does not count).
    func add(_ value: Value) throws(EvalError)
    /// Removes the oldest value, which `add` received first.
    func removeOldest(_ value: Value)
    /// The result, given the window's current values (oldest first) for accumulators that
    /// recompute from them (which is where their values' errors surface).
    func result(_ values: () -> [Value]) throws(EvalError) -> Value
    /// Writes the running state (for checkpoints); recomputing accumulators keep none.
    func save(into w: inout StateWriter)
    func restore(from r: inout StateReader) throws(StateError)
}

/// A retractable state kept up to date: O(1) per value, whatever the window's length.
final class RetractingWindow<S: RetractableAggregateState>: WindowAccumulator {
    @exclusivity(unchecked) private var state: S
    private let countsRows: Bool

    init(_ call: AggregateCall) {
        state = S(call)
        countsRows = call.countsRows
    }

    func add(_ value: Value) throws(EvalError) {
        if countsRows || !value.isNull { try state.add(value) }
    }

    func removeOldest(_ value: Value) {
        if countsRows || !value.isNull { state.retractOldest(value) }
    }

    func result(_ values: () -> [Value]) throws(EvalError) -> Value { state.result() }
    func save(into w: inout StateWriter) { state.save(into: &w) }
    func restore(from r: inout StateReader) throws(StateError) { try state.restore(from: &r) }
}

/// A state that cannot retract, rebuilt from the window's values when a result is needed.
final class RecomputedWindow<S: AggregateState>: WindowAccumulator {
    private let call: AggregateCall

    init(_ call: AggregateCall) { self.call = call }

    func add(_ value: Value) throws(EvalError) {}
    func removeOldest(_ value: Value) {}

    func result(_ values: () -> [Value]) throws(EvalError) -> Value {
        var state = S(call)
        for v in values() where call.countsRows || !v.isNull { try state.add(v) }
        return state.result()
    }

    func save(into w: inout StateWriter) {}
    func restore(from r: inout StateReader) throws(StateError) {}
}
