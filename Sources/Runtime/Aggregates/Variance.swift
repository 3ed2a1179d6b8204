import Foundation
import Planner

/// STDEV, STDEVP, VAR and VARP with Welford's online update, and its inverse for retraction
/// (stable for large means).
struct VarianceAggregate: StatefulAggregate {
    typealias State = VarianceState

    /// Which statistic the aggregate gives.
    enum Kind: String, Sendable, CaseIterable {
        case stdev = "STDEV", stdevp = "STDEVP", variance = "VAR", variancep = "VARP"
        /// Divides by n - 1 (a sample) rather than n (a population).
        var sample: Bool { self == .stdev || self == .variance }
        /// The square root: a standard deviation.
        var root: Bool { self == .stdev || self == .stdevp }
    }

    let kind: Kind
    var name: String { kind.rawValue }
    var doc: String {
        (kind.root ? "the standard deviation" : "the variance") + " of the values (" + (kind.sample ? "sample" : "population") + ")"
    }
    var arguments: AggregateArguments { .value(numeric: true, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { .float }
}

struct VarianceState: RetractableAggregateState {
    private var n = 0.0, mean = 0.0, m2 = 0.0
    private let kind: VarianceAggregate.Kind

    init(_ call: AggregateCall) { kind = VarianceAggregate.Kind(rawValue: call.function.name) ?? .stdev }

    @inline(__always)
    mutating func add(_ value: Value) throws(EvalError) {
        let x: Double
        if case .float(let d) = value { x = d } else {
            guard let d = try Conversions.double(value) else { return }
            x = d
        }
        n += 1
        let delta = x - mean
        mean += delta / n
        m2 += delta * (x - mean)
    }

    mutating func retractOldest(_ value: Value) {
        guard let x = try? Conversions.double(value) else { return }
        if n <= 1 {
            (n, mean, m2) = (0, 0, 0)
            return
        }
        let delta = x - mean
        n -= 1
        mean -= delta / n
        m2 = max(0, m2 - delta * (x - mean))
    }

    static func addRows(_ states: UnsafeMutablePointer<VarianceState>, _ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>,
                        _ values: UnsafePointer<Value>, stride: Int, countsRows: Bool, errors: inout [EvalError]) {
        addEach(states, rows, slots, values, stride: stride, countsRows: countsRows, errors: &errors) { (p: UnsafeMutablePointer, v: Value) throws(EvalError) in try p.pointee.add(v) }
    }

    func result() -> Value {
        guard n > (kind.sample ? 1 : 0) else { return .null }
        let v = m2 / (kind.sample ? n - 1 : n)
        return .float(kind.root ? v.squareRoot() : v)
    }

    func save(into w: inout StateWriter) {
        w.write(n)
        w.write(mean)
        w.write(m2)
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        n = try r.readDouble()
        mean = try r.readDouble()
        m2 = try r.readDouble()
        guard n >= 0, n < 0x1p62 else { throw StateError("variance state holds a count of \(n)") }
    }
}
