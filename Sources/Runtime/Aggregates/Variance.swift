import Foundation
import Planner

/// STDEV, STDEVP, VAR and VARP with Welford's online update, and its inverse for retraction
/// (stable for large means).
struct VarianceAggregate<Kind: VarianceKind>: StatefulAggregate {
    typealias State = VarianceState<Kind>
    var name: String { Kind.name }
    var doc: String {
        (Kind.root ? "the standard deviation" : "the variance") + " of the values (" + (Kind.sample ? "sample" : "population") + ")"
    }
    var arguments: AggregateArguments { .value(numeric: true, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { .float }
}

/// Which statistic a variance aggregate gives.
protocol VarianceKind: Sendable {
    static var name: String { get }
    /// Divides by n - 1 (a sample) rather than n (a population).
    static var sample: Bool { get }
    /// The square root: a standard deviation.
    static var root: Bool { get }
}

enum SampleDeviation: VarianceKind { static let name = "STDEV", sample = true, root = true }
enum PopulationDeviation: VarianceKind { static let name = "STDEVP", sample = false, root = true }
enum SampleVariance: VarianceKind { static let name = "VAR", sample = true, root = false }
enum PopulationVariance: VarianceKind { static let name = "VARP", sample = false, root = false }

struct VarianceState<Kind: VarianceKind>: RetractableAggregateState {
    private var n = 0.0, mean = 0.0, m2 = 0.0

    init(_ call: AggregateCall) {}

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

    func result() -> Value {
        guard n > (Kind.sample ? 1 : 0) else { return .null }
        let v = m2 / (Kind.sample ? n - 1 : n)
        return .float(Kind.root ? v.squareRoot() : v)
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
