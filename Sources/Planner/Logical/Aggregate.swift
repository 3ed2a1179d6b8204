/// One ORDER BY item of an ordered aggregate.
package struct BoundOrderItem: Hashable, Sendable, Encodable {
    package var expr: BoundExpr
    package var descending: Bool
    package init(expr: BoundExpr, descending: Bool) {
        self.expr = expr
        self.descending = descending
    }
}

/// One aggregate computed by a window aggregate: `function(argument)`.
package struct AggregateCall: Hashable, Sendable, Encodable {
    package var function: AggregateFunction
    /// `nil` for COUNT(*), and for Collect()/TopOne()/CollectTop(n) over whole events (see `row`).
    package var argument: BoundExpr?
    package var distinct: Bool
    /// The ordering of CollectTop, TopOne and the percentiles.
    package var orderBy: [BoundOrderItem]
    /// CollectTop's n, or the percentile (0...1).
    package var parameter: Double?

    package init(function: AggregateFunction, argument: BoundExpr?, distinct: Bool = false,
                orderBy: [BoundOrderItem] = [], parameter: Double? = nil) {
        self.function = function
        self.argument = argument
        self.distinct = distinct
        self.orderBy = orderBy
        self.parameter = parameter
    }

    package var resultType: DataType { function.definition.returnType(self) }

    /// `COUNT(*)` and `COUNT(input)`: every row counts, whatever its values.
    package var countsRows: Bool { argument == nil && function.definition.arguments == .value(numeric: false, star: true) }
}

/// A window in GROUP BY. Tumbling and hopping windows cover `(start, end]`, aligned to the epoch
/// plus `offset`.
package enum WindowSpec: Hashable, Sendable, Encodable, CustomStringConvertible {
    case tumbling(size: TimeSpan, offset: TimeSpan)
    case hopping(size: TimeSpan, hop: TimeSpan, offset: TimeSpan)
    /// Emits when an event enters or leaves: one row per distinct change time, over `(t - size, t]`.
    case sliding(size: TimeSpan)
    /// Sessions separated by gaps longer than `timeout`, cut at multiples of `maxDuration`.
    /// `partitionBy` gives each key its own sessions; without it sessions span all events.
    case session(timeout: TimeSpan, maxDuration: TimeSpan, partitionBy: [BoundExpr])
    /// `GROUP BY System.Timestamp()`: events with identical timestamps.
    case snapshot

    package var description: String {
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
