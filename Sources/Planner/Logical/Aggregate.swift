/// One ORDER BY item of an ordered aggregate.
public struct BoundOrderItem: Hashable, Sendable, Encodable {
    public var expr: BoundExpr
    public var descending: Bool
    public init(expr: BoundExpr, descending: Bool) {
        self.expr = expr
        self.descending = descending
    }
}

/// One aggregate computed by a window aggregate: `function(argument)`.
public struct AggregateCall: Hashable, Sendable, Encodable {
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

    public var resultType: DataType { function.definition.returnType(self) }

    /// `COUNT(*)` and `COUNT(input)`: every row counts, whatever its values.
    public var countsRows: Bool { argument == nil && function.definition.arguments == .value(numeric: false, star: true) }
}

/// A window in GROUP BY. Tumbling and hopping windows cover `(start, end]`, aligned to the epoch
/// plus `offset`.
public enum WindowSpec: Hashable, Sendable, Encodable, CustomStringConvertible {
    case tumbling(size: TimeSpan, offset: TimeSpan)
    case hopping(size: TimeSpan, hop: TimeSpan, offset: TimeSpan)
    /// Emits when an event enters or leaves: one row per distinct change time, over `(t - size, t]`.
    case sliding(size: TimeSpan)
    /// Sessions separated by gaps longer than `timeout`, cut at multiples of `maxDuration`.
    /// `partitionBy` gives each key its own sessions; without it sessions span all events.
    case session(timeout: TimeSpan, maxDuration: TimeSpan, partitionBy: [BoundExpr])
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
