/// The aggregate functions usable in a windowed GROUP BY (and, most of them, with OVER).
public enum AggregateFunction: String, Hashable, Sendable, CaseIterable {
    case count = "COUNT", countStar = "COUNT(*)", sum = "SUM", avg = "AVG", min = "MIN", max = "MAX"
    case stdev = "STDEV", stdevp = "STDEVP", variance = "VAR", variancep = "VARP"
    case collect = "COLLECT", collectTop = "COLLECTTOP", topOne = "TOPONE"
    case percentileCont = "PERCENTILE_CONT", percentileDisc = "PERCENTILE_DISC"

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
        case "COLLECT": self = .collect
        case "COLLECTTOP": self = .collectTop
        case "TOPONE": self = .topOne
        case "PERCENTILE_CONT": self = .percentileCont
        case "PERCENTILE_DISC": self = .percentileDisc
        default: return nil
        }
    }

    /// Names the binder recognizes as aggregates.
    public static let allNames: Set<String> = [
        "COUNT", "SUM", "AVG", "MIN", "MAX", "STDEV", "STDEVP", "VAR", "VARP",
        "COLLECT", "COLLECTTOP", "TOPONE", "PERCENTILE_CONT", "PERCENTILE_DISC",
    ]

    /// Aggregates that need every value of the window (no constant-size state).
    public var isHolistic: Bool {
        switch self {
        case .collect, .collectTop, .topOne, .percentileCont, .percentileDisc: return true
        default: return false
        }
    }

    /// Aggregates ordered by `OVER (ORDER BY ...)` or `WITHIN GROUP (ORDER BY ...)`.
    public var needsOrder: Bool {
        switch self {
        case .collectTop, .topOne, .percentileCont, .percentileDisc: return true
        default: return false
        }
    }
}

/// One ORDER BY item of an ordered aggregate.
public struct BoundOrderItem: Hashable, Sendable {
    public var expr: BoundExpr
    public var descending: Bool
    public init(expr: BoundExpr, descending: Bool) {
        self.expr = expr
        self.descending = descending
    }
}

/// One aggregate computed by a window aggregate: `function(argument)`.
public struct AggregateCall: Hashable, Sendable {
    public var function: AggregateFunction
    /// `nil` for COUNT(*), and for Collect()/TopOne()/CollectTop(n) over whole events (see `row`).
    public var argument: BoundExpr?
    public var distinct: Bool
    /// The ordering of CollectTop, TopOne and the percentiles.
    public var orderBy: [BoundOrderItem]
    /// CollectTop's n, or the percentile (0...1).
    public var parameter: Double?

    public init(function: AggregateFunction, argument: BoundExpr?, distinct: Bool = false,
                orderBy: [BoundOrderItem] = [], parameter: Double? = nil) {
        self.function = function
        self.argument = argument
        self.distinct = distinct
        self.orderBy = orderBy
        self.parameter = parameter
    }

    public var resultType: DataType {
        let arg = argument?.type ?? .any
        switch function {
        case .count, .countStar: return .bigint
        case .sum: return arg == .bigint || arg == .float ? arg : .any
        case .avg, .stdev, .stdevp, .variance, .variancep, .percentileCont: return .float
        case .min, .max: return arg
        case .collect, .collectTop: return .array
        case .topOne: return argument == nil ? .anyRecord : arg
        case .percentileDisc: return orderBy.first?.expr.type ?? .any
        }
    }
}

/// A window in GROUP BY. Tumbling and hopping windows cover `(start, end]`, aligned to the epoch
/// plus `offset`.
public enum WindowSpec: Hashable, Sendable, CustomStringConvertible {
    case tumbling(size: Duration, offset: Duration)
    case hopping(size: Duration, hop: Duration, offset: Duration)
    /// Emits when an event enters or leaves: one row per distinct change time, over `(t - size, t]`.
    case sliding(size: Duration)
    /// Sessions separated by gaps longer than `timeout`, cut at multiples of `maxDuration`.
    /// `partitionBy` gives each key its own sessions; without it sessions span all events.
    case session(timeout: Duration, maxDuration: Duration, partitionBy: [BoundExpr])
    /// `GROUP BY System.Timestamp()`: events with identical timestamps.
    case snapshot

    public var description: String {
        switch self {
        case .tumbling(let s, let o): return "tumbling(\(s)\(o == .zero ? "" : ", offset \(o)"))"
        case .hopping(let s, let h, let o): return "hopping(\(s), hop \(h)\(o == .zero ? "" : ", offset \(o)"))"
        case .sliding(let s): return "sliding(\(s))"
        case .session(let t, let m, _):
            return "session(timeout \(t), max \(m))"
        case .snapshot: return "snapshot"
        }
    }
}
