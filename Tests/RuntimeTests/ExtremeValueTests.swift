import Foundation
import Planner
import Runtime
import Testing

/// Every built-in scalar function, called with every date part and every combination of extreme
/// arguments (the largest and smallest bigints, huge and non-finite floats, the first and last
/// datetimes, empty and long text, NULL, records and arrays), both as row values and as constants
/// at the call site: each call returns a value or throws a row error. A trap (an overflow, an
/// out-of-range conversion) would kill the test process, and one that allocates without bound or
/// runs for long fails the time check.
struct ExtremeValueTests {
    static let pool: [Value] = [
        .bigint(.max), .bigint(.min), .bigint(0), .bigint(-1), .bigint(3),
        .float(1e308), .float(-1e308), .float(.nan), .float(.infinity), .float(0.5),
        .string(""), .string("abc"), .string("2024-01-01T00:00:00Z"),
        .datetime(Timestamp(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)),
        .datetime(Timestamp(year: 1, month: 1, day: 1)),
        .null, .bit(true), .record(Record(["a": .bigint(1)])), .array([.bigint(1), .string("x")]),
    ]

    /// The argument tuples of one arity: the whole pool for up to three arguments, then a smaller
    /// pool (numbers at their limits) so four-argument functions stay quick.
    static func tuples(_ n: Int) -> [[Value]] {
        let small: [Value] = [.bigint(.max), .bigint(.min), .bigint(1), .float(1e308), .float(.nan), .string("a"), .null]
        let values = n <= 2 ? pool : small
        var out: [[Value]] = [[]]
        for _ in 0..<n { out = out.flatMap { t in values.map { t + [$0] } } }
        return out
    }

    @Test(arguments: Catalog.standard.functions.allScalars.map(\.name))
    func builtinsNeverTrapOnExtremeArguments(_ name: String) throws {
        let f = try #require(Catalog.standard.functions.scalar(named: name))
        guard f.isDeterministic else { return }
        let s = f.signature
        let parts: [DatePart?] = s.takesDatePart ? DatePart.allCases : [nil]
        let start = Date()
        for part in parts {
            let lowest = max(s.arity.lowerBound - (s.takesDatePart ? 1 : 0), 0)
            let highest = min(s.arity.upperBound - (s.takesDatePart ? 1 : 0), 4)
            guard lowest <= highest else { continue }
            for n in lowest...highest {
                for args in Self.tuples(n) {
                    for constant in [false, true] {
                        let site = CallSite(datePart: part, constants: constant ? args : args.map { _ in nil })
                        guard let kernel = try? f.prepare(site) else { continue }
                        switch kernel {
                        case .eager(let call):
                            if s.nullHandling == .strict && args.contains(where: \.isNull) { continue }
                            _ = try? call(args)
                        case .lazy(let call):
                            _ = try? call(args.count) { i throws(EvalError) in args[i] }
                        }
                    }
                }
            }
        }
        #expect(Date().timeIntervalSince(start) < 20, "\(name) is slow on extreme arguments")
    }
}
