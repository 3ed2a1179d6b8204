import Planner

/// The running state of one aggregate for every group of one window, indexed by group slot.
///
/// Columns are reused across windows: `reset` keeps their capacity.
protocol AccumulatorColumn: AnyObject {
    /// Makes room for slots `0..<count`, initializing new ones.
    func grow(to count: Int)
    /// Adds a (non-NULL unless `countsNulls`) value to a group.
    func add(_ slot: Int, _ v: Value) throws(EvalError)
    func result(_ slot: Int) -> Value
    func reset()
    /// COUNT(*) sees every row, NULL or not; other aggregates ignore NULLs.
    var countsNulls: Bool { get }
}

extension AccumulatorColumn {
    var countsNulls: Bool { false }
}

/// Creates the column for an aggregate.
func makeAccumulator(_ call: AggregateCall) -> AccumulatorColumn {
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
    }
}

final class CountColumn: AccumulatorColumn {
    var counts: [Int64] = []
    let countsNulls: Bool
    init(countsNulls: Bool) { self.countsNulls = countsNulls }
    func grow(to count: Int) { while counts.count < count { counts.append(0) } }
    @inline(__always) func add(_ slot: Int, _ v: Value) throws(EvalError) { counts[slot] += 1 }
    func result(_ slot: Int) -> Value { .bigint(counts[slot]) }
    func reset() { counts.removeAll(keepingCapacity: true) }
}

/// SUM: bigint while every value is an integer (and fits), float once any value is a float.
final class SumColumn: AccumulatorColumn {
    var ints: [Int64] = []
    var floats: [Double] = []
    /// 0 = no value yet, 1 = integer sum, 2 = float sum.
    var state: [UInt8] = []

    func grow(to count: Int) {
        while ints.count < count {
            ints.append(0)
            floats.append(0)
            state.append(0)
        }
    }

    func add(_ slot: Int, _ v: Value) throws(EvalError) {
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

    func result(_ slot: Int) -> Value {
        switch state[slot] {
        case 1: return .bigint(ints[slot])
        case 2: return .float(floats[slot])
        default: return .null
        }
    }

    func reset() {
        ints.removeAll(keepingCapacity: true)
        floats.removeAll(keepingCapacity: true)
        state.removeAll(keepingCapacity: true)
    }
}

/// AVG, always a float (see Grammar.md: ASA leaves the type of an integer average open).
final class AverageColumn: AccumulatorColumn {
    var sums: [Double] = []
    var counts: [Int64] = []

    func grow(to count: Int) {
        while sums.count < count {
            sums.append(0)
            counts.append(0)
        }
    }

    @inline(__always)
    func add(_ slot: Int, _ v: Value) throws(EvalError) {
        let d: Double
        if case .float(let x) = v { d = x } else {
            guard let x = try Conversions.double(v) else { return }
            d = x
        }
        sums[slot] += d
        counts[slot] += 1
    }

    func result(_ slot: Int) -> Value { counts[slot] == 0 ? .null : .float(sums[slot] / Double(counts[slot])) }

    func reset() {
        sums.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
    }
}

/// MIN and MAX over any comparable type (strings ignore case).
final class ExtremumColumn: AccumulatorColumn {
    var values: [Value] = []
    let isMax: Bool

    init(max: Bool) { isMax = max }

    func grow(to count: Int) { while values.count < count { values.append(.null) } }

    @inline(__always)
    func add(_ slot: Int, _ v: Value) throws(EvalError) {
        let current = values[slot]
        if case .float(let a) = current, case .float(let b) = v {
            if isMax ? b > a : b < a { values[slot] = v }
            return
        }
        if current.isNull { values[slot] = v; return }
        guard let c = try Comparison.compare(v, current) else { return }
        if isMax ? c > 0 : c < 0 { values[slot] = v }
    }

    func result(_ slot: Int) -> Value { values[slot] }
    func reset() { values.removeAll(keepingCapacity: true) }
}

/// STDEV, STDEVP, VAR, VARP with Welford's online algorithm (stable for large means).
final class VarianceColumn: AccumulatorColumn {
    enum Kind { case stdev, stdevp, variance, variancep }
    let kind: Kind
    var counts: [Int64] = []
    var means: [Double] = []
    var m2: [Double] = []

    init(kind: Kind) { self.kind = kind }

    func grow(to count: Int) {
        while counts.count < count {
            counts.append(0)
            means.append(0)
            m2.append(0)
        }
    }

    @inline(__always)
    func add(_ slot: Int, _ v: Value) throws(EvalError) {
        let x: Double
        if case .float(let d) = v { x = d } else {
            guard let d = try Conversions.double(v) else { return }
            x = d
        }
        counts[slot] += 1
        let delta = x - means[slot]
        means[slot] += delta / Double(counts[slot])
        m2[slot] += delta * (x - means[slot])
    }

    func result(_ slot: Int) -> Value {
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

    func reset() {
        counts.removeAll(keepingCapacity: true)
        means.removeAll(keepingCapacity: true)
        m2.removeAll(keepingCapacity: true)
    }
}
