import Planner

/// The running state of one aggregate over one group of rows: the one implementation of an
/// aggregate, used by every window kind.
///
/// A state starts empty for its call, is given each value of the group (never NULL, unless the
/// call counts rows, as `COUNT(*)` does), and gives its result at any time. It is saved with the
/// checkpoint and restored into a fresh state of the same call; restoring throws on damaged bytes.
/// A state that can also remove its oldest value adopts ``RetractableAggregateState``; sliding
/// windows and `LIMIT DURATION` histories use that, and recompute from the window's values for
/// states that cannot.
package protocol AggregateState {
    /// An empty state for `call` (its parameters and ordering, when the aggregate has any).
    init(_ call: AggregateCall)
    mutating func add(_ value: Value) throws(EvalError)
    func result() -> Value
    func save(into w: inout StateWriter)
    mutating func restore(from r: inout StateReader) throws(StateError)

    /// Adds `values[rows[i] * stride]` to `states[slots[i]]` for every `i`, skipping NULLs unless
    /// `countsRows`; failures are collected and their rows skipped. (The default is one loop; a
    /// conformance gets its own specialized copy, so the loop calls `add` directly.)
    static func addRows(_ states: UnsafeMutablePointer<Self>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError])
}

extension AggregateState {
    package static func addRows(_ states: UnsafeMutablePointer<Self>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                               _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        addEach(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors) { (p: UnsafeMutablePointer, v: Value) throws(EvalError) in try p.pointee.add(v) }
    }
}

/// The loop of ``AggregateState/addRows(_:_:_:_:stride:countsRows:errors:)``. A hot state restates
/// `addRows` as a call of this from its own concrete code, passing `{ try $0.pointee.add($1) }`:
/// the closure then calls its `add` directly and inline (a generic call would go through the
/// protocol witness, about three times the instructions per row).
@inline(__always)
func addEach<S>(_ states: UnsafeMutablePointer<S>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError],
                _ add: (UnsafeMutablePointer<S>, Value) throws(EvalError) -> Void) {
    for i in 0..<rows.count {
        let v = values[Int(rows[i]) * stride]
        if !countsRows && v.isNull { continue }
        do throws(EvalError) { try add(states + Int(slots[i]), v) } catch { errors.append(error) }
    }
}

/// A state that can remove its oldest value: values leave in the order they were added.
package protocol RetractableAggregateState: AggregateState {
    mutating func retractOldest(_ value: Value)
}

/// The runtime side of an aggregate definition: the states the window operators keep.
package protocol AggregateImplementation: AggregateFunctionDefinition {
    /// Per-group states for a windowed GROUP BY (tumbling, hopping, snapshot and session windows).
    func makeGroupStates(_ call: AggregateCall) -> any GroupAccumulator
    /// One state over a window whose values arrive and leave in order (sliding windows, `LIMIT
    /// DURATION` histories, MATCH_RECOGNIZE measures).
    func makeWindowState(_ call: AggregateCall) -> any WindowAccumulator
    /// True when hopping windows should keep one retracting state per group, adding each value
    /// once and removing it when it leaves, instead of adding each value to every window that
    /// covers it: for aggregates whose adds are costly and that retract (a JavaScript UDA with
    /// `deaccumulate`, ASA's AccumulateDeaccumulate mode).
    var prefersRetraction: Bool { get }
}

extension AggregateImplementation {
    package var prefersRetraction: Bool { false }
}

/// An aggregate defined by its state types; the window operators get their accumulators from them.
package protocol StatefulAggregate: AggregateImplementation {
    associatedtype State: AggregateState
    /// The state over sliding windows: `State`, unless the aggregate has a retractable variant
    /// that costs more per value (MIN and MAX keep a monotonic queue).
    associatedtype WindowState: AggregateState = State
}

extension StatefulAggregate {
    package func makeGroupStates(_ call: AggregateCall) -> any GroupAccumulator { GroupStates<State>(call) }
    package func makeWindowState(_ call: AggregateCall) -> any WindowAccumulator { windowAccumulator(WindowState.self, call) }
}

/// The window accumulator of a state type: retracting when it can, else recomputing.
func windowAccumulator<S: AggregateState>(_ type: S.Type, _ call: AggregateCall) -> any WindowAccumulator {
    if let retractable = type as? any RetractableAggregateState.Type { return retracting(retractable, call) }
    return RecomputedWindow<S>(call)
}

private func retracting<S: RetractableAggregateState>(_ type: S.Type, _ call: AggregateCall) -> any WindowAccumulator {
    RetractingWindow<S>(call)
}

extension AggregateCall {
    /// The runtime implementation of the call's aggregate. Every aggregate in a catalog is one (the
    /// registry only takes implementations through `Catalog.standard` and the embedding API).
    var implementation: any AggregateImplementation {
        guard let i = function.definition as? any AggregateImplementation else {
            preconditionFailure("aggregate \(function.name) has no runtime implementation")
        }
        return i
    }

    /// What the operators feed the aggregate for each row: its argument, for ordered aggregates a
    /// record of the argument followed by the ORDER BY keys (see ``OrderedValue``), and for
    /// aggregates that receive event times a record of the argument and `System.Timestamp()`.
    var input: BoundExpr? {
        if function.definition.receivesEventTime {
            return BoundExpr(.makeRecord(names: ["value", "time"], values: [argument ?? .literal(.null), BoundExpr(.systemTimestamp, .datetime)]),
                             .anyRecord)
        }
        guard !orderBy.isEmpty else { return argument }
        let values = [argument ?? .literal(.null)] + orderBy.map(\.expr)
        return BoundExpr(.makeRecord(names: (0..<values.count).map { "\($0)" }, values: values), .anyRecord)
    }
}
