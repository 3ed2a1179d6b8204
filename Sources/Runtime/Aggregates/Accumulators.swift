import Planner

/// The running state of one aggregate for every group of one window, indexed by group slot.
///
/// State lives in manually managed buffers (no copy-on-write or exclusivity checks in the hot
/// loop). Columns are reused across windows: `reset` keeps their capacity.
class AccumulatorColumn {
    /// COUNT(*) sees every row, NULL or not; other aggregates ignore NULLs.
    var countsNulls: Bool { false }
    @exclusivity(unchecked) private(set) var capacity = 0

    /// Makes room for slots `0..<count`; new slots start empty.
    final func grow(to count: Int) {
        guard count > capacity else { return }
        let newCapacity = max(count, capacity * 2, 16)
        resize(from: capacity, to: newCapacity)
        capacity = newCapacity
    }

    /// Reallocates the state buffers and initializes slots `old..<new`.
    func resize(from old: Int, to new: Int) {}

    /// Adds one non-NULL value (or any value for COUNT(*)) to a group.
    func add(_ slot: Int, _ v: Value) throws(EvalError) {}

    /// Adds `values[rows[i] * stride]` to group `slots[i]` for every `i`.
    /// Returns the failures (values that could not be aggregated), which are skipped.
    func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                 stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            let v = values[Int(rows[i]) * stride]
            if v.isNull && !countsNulls { continue }
            do throws(EvalError) { try add(Int(slots[i]), v) } catch { errors.append(error) }
        }
    }

    func result(_ slot: Int) -> Value { .null }

    /// Forgets every group, keeping capacity.
    func reset() {}

    /// Writes one group's state (for checkpoints).
    func save(_ slot: Int, into w: inout StateWriter) {}

    /// Reads one group's state written by `save` into a grown, empty slot.
    func restore(_ slot: Int, from r: inout StateReader) throws(StateError) {}
}

/// A manually allocated buffer of trivial values.
struct StateBuffer<T> {
    private(set) var base: UnsafeMutablePointer<T>?

    mutating func resize(from old: Int, to new: Int, fill: T) {
        let p = UnsafeMutablePointer<T>.allocate(capacity: new)
        if let base {
            p.moveInitialize(from: base, count: old)
            base.deallocate()
        }
        (p + old).initialize(repeating: fill, count: new - old)
        base = p
    }

    mutating func reset(count: Int, fill: T) {
        guard let base, count > 0 else { return }
        base.update(repeating: fill, count: count)
    }

    func free(count: Int) {
        guard let base else { return }
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always) subscript(i: Int) -> T {
        get { base.unsafelyUnwrapped[i] }
        nonmutating set { base.unsafelyUnwrapped[i] = newValue }
    }
}

/// Creates the column for an aggregate.
func makeAccumulator(_ call: AggregateCall) -> AccumulatorColumn {
    if Holistic.applies(to: call) { return HolisticColumn(call) }
    switch call.function {
    case .countStar: return CountColumn(countsNulls: true)
    case .count: return CountColumn(countsNulls: false)
    case .sum: return SumColumn()
    case .avg: return AverageColumn()
    case .min: return ExtremumColumn(max: false)
    case .max: return ExtremumColumn(max: true)
    case .stdev: return VarianceColumn(kind: .stdev)
    case .stdevp: return VarianceColumn(kind: .stdevp)
    case .variance: return VarianceColumn(kind: .variance)
    case .variancep: return VarianceColumn(kind: .variancep)
    case .collect, .collectTop, .topOne, .percentileCont, .percentileDisc:
        preconditionFailure("holistic aggregates are handled above")
    }
}

final class CountColumn: AccumulatorColumn {
    @exclusivity(unchecked) private var counts = StateBuffer<Int64>()
    private let nulls: Bool
    override var countsNulls: Bool { nulls }

    init(countsNulls: Bool) { nulls = countsNulls }
    deinit { counts.free(count: capacity) }

    override func resize(from old: Int, to new: Int) { counts.resize(from: old, to: new, fill: 0) }
    override func add(_ slot: Int, _ v: Value) throws(EvalError) { counts[slot] += 1 }

    override func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                          stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            if !nulls, values[Int(rows[i]) * stride].isNull { continue }
            counts[Int(slots[i])] += 1
        }
    }

    override func result(_ slot: Int) -> Value { .bigint(counts[slot]) }
    override func reset() { counts.reset(count: capacity, fill: 0) }

    override func save(_ s: Int, into w: inout StateWriter) { w.write(counts[s]) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { counts[s] = try r.readInt64() }
}

/// SUM: bigint while every value is an integer (and fits), float once any value is a float.
final class SumColumn: AccumulatorColumn {
    @exclusivity(unchecked) private var ints = StateBuffer<Int64>()
    @exclusivity(unchecked) private var floats = StateBuffer<Double>()
    /// 0 = no value yet, 1 = integer sum, 2 = float sum.
    @exclusivity(unchecked) private var state = StateBuffer<UInt8>()

    deinit {
        ints.free(count: capacity)
        floats.free(count: capacity)
        state.free(count: capacity)
    }

    override func resize(from old: Int, to new: Int) {
        ints.resize(from: old, to: new, fill: 0)
        floats.resize(from: old, to: new, fill: 0)
        state.resize(from: old, to: new, fill: 0)
    }

    override func add(_ slot: Int, _ v: Value) throws(EvalError) {
        switch v {
        case .bigint(let i) where state[slot] != 2:
            let (s, o) = ints[slot].addingReportingOverflow(i)
            if o {
                floats[slot] = Double(ints[slot]) + Double(i)
                state[slot] = 2
            } else {
                ints[slot] = s
                state[slot] = 1
            }
        default:
            guard let d = try Conversions.double(v) else { return }
            if state[slot] == 1 { floats[slot] = Double(ints[slot]) }
            floats[slot] += d
            state[slot] = 2
        }
    }

    override func result(_ slot: Int) -> Value {
        switch state[slot] {
        case 1: return .bigint(ints[slot])
        case 2: return .float(floats[slot])
        default: return .null
        }
    }

    override func reset() {
        ints.reset(count: capacity, fill: 0)
        floats.reset(count: capacity, fill: 0)
        state.reset(count: capacity, fill: 0)
    }

    override func save(_ s: Int, into w: inout StateWriter) { w.write(ints[s]); w.write(floats[s]); w.write(Int(state[s])) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { ints[s] = try r.readInt64(); floats[s] = try r.readDouble(); state[s] = UInt8(truncatingIfNeeded: try r.readInt()) }
}

/// AVG, always a float (see Grammar.md: ASA leaves the type of an integer average open).
final class AverageColumn: AccumulatorColumn {
    @exclusivity(unchecked) private var sums = StateBuffer<Double>()
    @exclusivity(unchecked) private var counts = StateBuffer<Int64>()

    deinit {
        sums.free(count: capacity)
        counts.free(count: capacity)
    }

    override func resize(from old: Int, to new: Int) {
        sums.resize(from: old, to: new, fill: 0)
        counts.resize(from: old, to: new, fill: 0)
    }

    @inline(__always)
    override func add(_ slot: Int, _ v: Value) throws(EvalError) {
        guard let d = try Conversions.double(v) else { return }
        sums[slot] += d
        counts[slot] += 1
    }

    override func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                          stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            let s = Int(slots[i])
            switch values[Int(rows[i]) * stride] {
            case .float(let d):
                sums[s] += d
                counts[s] += 1
            case .null:
                continue
            case let v:
                do throws(EvalError) { try add(s, v) } catch { errors.append(error) }
            }
        }
    }

    override func result(_ slot: Int) -> Value { counts[slot] == 0 ? .null : .float(sums[slot] / Double(counts[slot])) }

    override func reset() {
        sums.reset(count: capacity, fill: 0)
        counts.reset(count: capacity, fill: 0)
    }

    override func save(_ s: Int, into w: inout StateWriter) { w.write(sums[s]); w.write(counts[s]) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { sums[s] = try r.readDouble(); counts[s] = try r.readInt64() }
}

/// MIN and MAX over any comparable type (strings ignore case). Floats take a fast path.
final class ExtremumColumn: AccumulatorColumn {
    @exclusivity(unchecked) private var values = StateBuffer<Value>()
    private let isMax: Bool

    init(max: Bool) { isMax = max }
    deinit { values.free(count: capacity) }

    override func resize(from old: Int, to new: Int) { values.resize(from: old, to: new, fill: .null) }

    override func add(_ slot: Int, _ v: Value) throws(EvalError) {
        let current = values[slot]
        if current.isNull { values[slot] = v; return }
        guard let c = try Comparison.compare(v, current) else { return }
        if isMax ? c > 0 : c < 0 { values[slot] = v }
    }

    override func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ input: UnsafePointer<Value>,
                          stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            let s = Int(slots[i])
            let v = input[Int(rows[i]) * stride]
            if case .float(let b) = v, case .float(let a) = values[s] {
                if isMax ? b > a : b < a { values[s] = v }
                continue
            }
            if v.isNull { continue }
            do throws(EvalError) { try add(s, v) } catch { errors.append(error) }
        }
    }

    override func result(_ slot: Int) -> Value { values[slot] }
    override func reset() { values.reset(count: capacity, fill: .null) }

    override func save(_ s: Int, into w: inout StateWriter) { w.write(values[s]) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { values[s] = try r.readValue() }
}

/// STDEV, STDEVP, VAR, VARP with Welford's online algorithm (stable for large means).
final class VarianceColumn: AccumulatorColumn {
    enum Kind { case stdev, stdevp, variance, variancep }
    private let kind: Kind
    @exclusivity(unchecked) private var counts = StateBuffer<Int64>()
    @exclusivity(unchecked) private var means = StateBuffer<Double>()
    @exclusivity(unchecked) private var m2 = StateBuffer<Double>()

    init(kind: Kind) { self.kind = kind }

    deinit {
        counts.free(count: capacity)
        means.free(count: capacity)
        m2.free(count: capacity)
    }

    override func resize(from old: Int, to new: Int) {
        counts.resize(from: old, to: new, fill: 0)
        means.resize(from: old, to: new, fill: 0)
        m2.resize(from: old, to: new, fill: 0)
    }

    @inline(__always)
    private func push(_ s: Int, _ x: Double) {
        counts[s] += 1
        let delta = x - means[s]
        means[s] += delta / Double(counts[s])
        m2[s] += delta * (x - means[s])
    }

    override func add(_ slot: Int, _ v: Value) throws(EvalError) {
        guard let d = try Conversions.double(v) else { return }
        push(slot, d)
    }

    override func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                          stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            switch values[Int(rows[i]) * stride] {
            case .float(let d): push(Int(slots[i]), d)
            case .null: continue
            case let v:
                do throws(EvalError) { try add(Int(slots[i]), v) } catch { errors.append(error) }
            }
        }
    }

    override func result(_ slot: Int) -> Value {
        let n = counts[slot]
        switch kind {
        case .stdev, .variance:
            guard n > 1 else { return .null }
            let v = m2[slot] / Double(n - 1)
            return .float(kind == .stdev ? v.squareRoot() : v)
        case .stdevp, .variancep:
            guard n > 0 else { return .null }
            let v = m2[slot] / Double(n)
            return .float(kind == .stdevp ? v.squareRoot() : v)
        }
    }

    override func reset() {
        counts.reset(count: capacity, fill: 0)
        means.reset(count: capacity, fill: 0)
        m2.reset(count: capacity, fill: 0)
    }

    override func save(_ s: Int, into w: inout StateWriter) { w.write(counts[s]); w.write(means[s]); w.write(m2[s]) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { counts[s] = try r.readInt64(); means[s] = try r.readDouble(); m2[s] = try r.readDouble() }
}
