import Planner

/// The states of one aggregate for every group of one window, indexed by group slot.
package protocol GroupAccumulator: AnyObject {
    /// Makes room for slots `0..<count`; new slots start empty.
    func grow(to count: Int)
    /// Adds one value to a group (NULLs are skipped unless the call counts rows).
    func add(_ slot: Int, _ value: Value) throws(EvalError)
    /// Adds `values[rows[i] * stride]` to group `slots[i]` for every `i`; failures are collected.
    func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                 stride: Int, errors: inout [EvalError])
    /// The group's result; throws when computing it fails (a user aggregate's exception).
    func result(_ slot: Int) throws(EvalError) -> Value
    /// Forgets every group, keeping capacity.
    func reset()
    /// Writes one group's state (for checkpoints).
    func save(_ slot: Int, into w: inout StateWriter)
    /// Reads one group's state written by `save` into a grown, empty slot.
    func restore(_ slot: Int, from r: inout StateReader) throws(StateError)
}

extension WindowAggregateOperator {
    /// A group's result; a failure (a user aggregate's exception) is a row error and NULL.
    static func result(of accumulator: any GroupAccumulator, _ slot: Int, _ context: RuntimeContext) -> Value {
        do throws(EvalError) { return try accumulator.result(slot) } catch {
            context.rowError(error, in: "aggregate")
            return .null
        }
    }
}

/// Group states of one state type, in one manually managed buffer (no copy-on-write or
/// exclusivity checks in the hot loop). The buffer is reused across windows: `reset` keeps it.
final class GroupStates<S: AggregateState>: GroupAccumulator {
    private let empty: S
    private let countsRows: Bool
    @exclusivity(unchecked) private var states: UnsafeMutablePointer<S>?
    @exclusivity(unchecked) private var capacity = 0

    init(_ call: AggregateCall) {
        empty = S(call)
        countsRows = call.countsRows
    }

    deinit {
        guard let states else { return }
        states.deinitialize(count: capacity)
        states.deallocate()
    }

    func grow(to count: Int) {
        guard count > capacity else { return }
        let newCapacity = max(count, capacity * 2, 16)
        let p = UnsafeMutablePointer<S>.allocate(capacity: newCapacity)
        if let states {
            p.moveInitialize(from: states, count: capacity)
            states.deallocate()
        }
        (p + capacity).initialize(repeating: empty, count: newCapacity - capacity)
        states = p
        capacity = newCapacity
    }

    @inline(__always) private func state(_ slot: Int) -> UnsafeMutablePointer<S> { states.unsafelyUnwrapped + slot }

    func add(_ slot: Int, _ value: Value) throws(EvalError) {
        if !countsRows && value.isNull { return }
        try state(slot).pointee.add(value)
    }

    func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                 stride: Int, errors: inout [EvalError]) {
        guard let states, !rows.isEmpty else { return }
        S.addRows(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors)
    }

    func result(_ slot: Int) throws(EvalError) -> Value { state(slot).pointee.result() }

    func reset() {
        guard let states, capacity > 0 else { return }
        states.update(repeating: empty, count: capacity)
    }

    func save(_ slot: Int, into w: inout StateWriter) { state(slot).pointee.save(into: &w) }
    func restore(_ slot: Int, from r: inout StateReader) throws(StateError) { try state(slot).pointee.restore(from: &r) }
}
