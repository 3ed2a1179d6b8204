/// The aggregate functions usable in a windowed GROUP BY.
public enum AggregateFunction: String, Hashable, Sendable, CaseIterable {
    case count = "COUNT", countStar = "COUNT(*)", sum = "SUM", avg = "AVG", min = "MIN", max = "MAX"
    case stdev = "STDEV", stdevp = "STDEVP", variance = "VAR", variancep = "VARP"

    /// Looks up an aggregate by its SQL name; `COUNT(*)` is chosen by the binder from the argument.
    public init?(name: String) {
        switch name.uppercased() {
        case "COUNT": self = .count
        case "SUM": self = .sum
        case "AVG": self = .avg
        case "MIN": self = .min
        case "MAX": self = .max
        case "STDEV": self = .stdev
        case "STDEVP": self = .stdevp
        case "VAR": self = .variance
        case "VARP": self = .variancep
        default: return nil
        }
    }

    /// Names the binder recognizes as aggregates, including those not implemented yet.
    public static let allNames: Set<String> = [
        "COUNT", "SUM", "AVG", "MIN", "MAX", "STDEV", "STDEVP", "VAR", "VARP",
        "COLLECT", "COLLECTTOP", "TOPONE", "PERCENTILE_CONT", "PERCENTILE_DISC",
    ]

    /// The result type for an argument of type `arg`.
    public func resultType(_ arg: DataType) -> DataType {
        switch self {
        case .count, .countStar: return .bigint
        case .sum: return arg == .bigint || arg == .float ? arg : .any
        case .avg, .stdev, .stdevp, .variance, .variancep: return .float
        case .min, .max: return arg
        }
    }
}

/// One aggregate computed by a window aggregate: `function(argument)`.
public struct AggregateCall: Hashable, Sendable {
    public var function: AggregateFunction
    /// `nil` for COUNT(*).
    public var argument: BoundExpr?
    public var distinct: Bool

    public init(function: AggregateFunction, argument: BoundExpr?, distinct: Bool = false) {
        self.function = function
        self.argument = argument
        self.distinct = distinct
    }

    public var resultType: DataType { function.resultType(argument?.type ?? .any) }
}

/// A window in GROUP BY. Windows cover `(start, end]`, aligned to the epoch plus `offset`.
public enum WindowSpec: Hashable, Sendable, CustomStringConvertible {
    case tumbling(size: Duration, offset: Duration)
    case hopping(size: Duration, hop: Duration, offset: Duration)

    public var description: String {
        switch self {
        case .tumbling(let s, let o): return "tumbling(\(s)\(o == .zero ? "" : ", offset \(o)"))"
        case .hopping(let s, let h, let o): return "hopping(\(s), hop \(h)\(o == .zero ? "" : ", offset \(o)"))"
        }
    }
}
