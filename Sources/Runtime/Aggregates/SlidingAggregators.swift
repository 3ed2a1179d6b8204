import DequeModule
import Planner

/// An aggregate over a window whose values arrive and leave in FIFO order (sliding windows and
/// LIMIT DURATION histories). Adding and removing the oldest value cost amortized O(1); holistic
/// aggregates are finished from the window's values when a result is needed.
class SlidingAggregator {
    /// Adds the newest value (NULLs included: each aggregator decides what counts).
    func add(_ v: Value) throws(EvalError) {}
    /// Removes the oldest value, which `add` received first.
    func removeOldest(_ v: Value) {}
    /// The result, given the window's current values (oldest first) for holistic aggregates.
    func result(_ values: () -> [Value]) -> Value { .null }

    /// Writes the running state (for checkpoints); holistic aggregates keep none of their own.
    func save(into w: inout StateWriter) {}
    /// Reads what `save` wrote into a fresh aggregator of the same call.
    func restore(from r: inout StateReader) throws(StateError) {}

    static func make(_ call: AggregateCall) -> SlidingAggregator {
        if Holistic.applies(to: call) { return HolisticSliding(call) }
        switch call.function {
        case .countStar: return CountSliding(countsNulls: true)
        case .count: return CountSliding(countsNulls: false)
        case .sum: return SumSliding(average: false)
        case .avg: return SumSliding(average: true)
        case .min: return ExtremumSliding(max: false)
        case .max: return ExtremumSliding(max: true)
        case .stdev, .stdevp, .variance, .variancep: return VarianceSliding(call.function)
        case .collect, .collectTop, .topOne, .percentileCont, .percentileDisc:
            preconditionFailure("holistic aggregates are handled above")
        }
    }
}

final class CountSliding: SlidingAggregator {
    @exclusivity(unchecked) private var n: Int64 = 0
    private let nulls: Bool
    init(countsNulls: Bool) { nulls = countsNulls }
    override func add(_ v: Value) throws(EvalError) { if nulls || !v.isNull { n += 1 } }
    override func removeOldest(_ v: Value) { if nulls || !v.isNull { n -= 1 } }
    override func result(_ values: () -> [Value]) -> Value { .bigint(n) }
    override func save(into w: inout StateWriter) { w.write(n) }
    override func restore(from r: inout StateReader) throws(StateError) { n = try r.readInt64() }
}

/// SUM (bigint while all values are integers) and AVG (float).
final class SumSliding: SlidingAggregator {
    private let average: Bool
    @exclusivity(unchecked) private var count: Int64 = 0, floats: Int64 = 0
    @exclusivity(unchecked) private var intSum: Int64 = 0
    @exclusivity(unchecked) private var floatSum = 0.0
    init(average: Bool) { self.average = average }

    override func add(_ v: Value) throws(EvalError) {
        if v.isNull { return }
        if case .bigint(let i) = v {
            intSum &+= i
            floatSum += Double(i)
        } else {
            guard let d = try Conversions.double(v) else { return }
            floatSum += d
            floats += 1
        }
        count += 1
    }

    override func removeOldest(_ v: Value) {
        if v.isNull { return }
        if case .bigint(let i) = v {
            intSum &-= i
            floatSum -= Double(i)
        } else {
            guard let d = try? Conversions.double(v) else { return }
            floatSum -= d
            floats -= 1
        }
        count -= 1
        if count == 0 { floatSum = 0 }  // no drift carried into the next burst
    }

    override func result(_ values: () -> [Value]) -> Value {
        guard count > 0 else { return .null }
        if average { return .float(floatSum / Double(count)) }
        return floats == 0 ? .bigint(intSum) : .float(floatSum)
    }

    override func save(into w: inout StateWriter) { w.write([count, floats, intSum, Int64(bitPattern: floatSum.bitPattern)]) }
    override func restore(from r: inout StateReader) throws(StateError) {
        let v = try r.readInt64s()
        guard v.count == 4 else { throw StateError("sum state has a wrong shape") }
        (count, floats, intSum, floatSum) = (v[0], v[1], v[2], Double(bitPattern: UInt64(bitPattern: v[3])))
    }
}

/// MIN/MAX with a monotonic deque: amortized O(1) per value.
final class ExtremumSliding: SlidingAggregator {
    private let isMax: Bool
    @exclusivity(unchecked) private var deque = Deque<(seq: Int, value: Value)>()
    @exclusivity(unchecked) private var added = 0, removed = 0
    init(max: Bool) { isMax = max }

    override func add(_ v: Value) throws(EvalError) {
        defer { added += 1 }
        if v.isNull { return }
        while let last = deque.last {
            guard let c = try Comparison.compare(v, last.value) else { break }
            if isMax ? c >= 0 : c <= 0 { deque.removeLast() } else { break }
        }
        deque.append((added, v))
    }

    override func removeOldest(_ v: Value) {
        if let first = deque.first, first.seq == removed { deque.removeFirst() }
        removed += 1
    }

    override func result(_ values: () -> [Value]) -> Value { deque.first?.value ?? .null }

    override func save(into w: inout StateWriter) {
        w.write(added)
        w.write(removed)
        w.write(deque.map { Int64($0.seq) })
        w.write(deque.map(\.value))
    }

    override func restore(from r: inout StateReader) throws(StateError) {
        added = try r.readInt()
        removed = try r.readInt()
        let seqs = try r.readInt64s(), values = try r.readValues()
        guard seqs.count == values.count else { throw StateError("extremum state has a wrong shape") }
        deque = Deque(zip(seqs, values).map { (Int($0.0), $0.1) })
    }
}

/// STDEV/STDEVP/VAR/VARP with Welford's update and its inverse for removals.
final class VarianceSliding: SlidingAggregator {
    private let function: AggregateFunction
    @exclusivity(unchecked) private var n = 0.0, mean = 0.0, m2 = 0.0
    init(_ f: AggregateFunction) { function = f }

    override func add(_ v: Value) throws(EvalError) {
        guard !v.isNull, let x = try Conversions.double(v) else { return }
        n += 1
        let d = x - mean
        mean += d / n
        m2 += d * (x - mean)
    }

    override func removeOldest(_ v: Value) {
        guard !v.isNull, let x = try? Conversions.double(v) else { return }
        if n <= 1 {
            n = 0; mean = 0; m2 = 0
            return
        }
        let d = x - mean
        n -= 1
        mean -= d / n
        m2 = max(0, m2 - d * (x - mean))
    }

    override func result(_ values: () -> [Value]) -> Value {
        let sample = function == .stdev || function == .variance
        guard n > (sample ? 1 : 0) else { return .null }
        let v = m2 / (sample ? n - 1 : n)
        return .float(function == .stdev || function == .stdevp ? v.squareRoot() : v)
    }

    override func save(into w: inout StateWriter) {
        w.write(n)
        w.write(mean)
        w.write(m2)
    }

    override func restore(from r: inout StateReader) throws(StateError) {
        n = try r.readDouble()
        mean = try r.readDouble()
        m2 = try r.readDouble()
    }
}

/// Holistic aggregates read the window's values when asked.
final class HolisticSliding: SlidingAggregator {
    private let call: AggregateCall
    init(_ call: AggregateCall) { self.call = call }
    override func result(_ values: () -> [Value]) -> Value { Holistic.result(call, values().filter { !$0.isNull }) }
}
