/// The analytic functions: computed per input event over its partition's recent history, before
/// WHERE, JOIN and GROUP BY see the event (ASA's documented order).
package enum AnalyticFunction: Hashable, Sendable, Encodable {
    /// `LAG(expr [, offset [, default]])`: the value from the `offset`-th previous matching event.
    case lag(offset: Int)
    /// `LAST(expr [, default])`: the most recent matching event's value, the current one included.
    case last
    /// `ISFIRST(unit, n)`: 1 for the first matching event of each aligned interval of length `interval`.
    case isFirst(interval: TimeSpan)
    /// An aggregate over the partition's events within LIMIT DURATION, the current one included.
    case aggregate(AggregateCall)
    /// `AnomalyDetection_SpikeAndDip(expr, confidence, historySize, mode)`.
    case spikeAndDip(confidence: Double, historySize: Int, mode: AnomalyMode)
    /// `AnomalyDetection_ChangePoint(expr, confidence, historySize)`.
    case changePoint(confidence: Double, historySize: Int)

    package var name: String {
        switch self {
        case .lag: return "LAG"
        case .last: return "LAST"
        case .isFirst: return "ISFIRST"
        case .aggregate(let a): return a.function.name
        case .spikeAndDip: return "AnomalyDetection_SpikeAndDip"
        case .changePoint: return "AnomalyDetection_ChangePoint"
        }
    }
}

/// Which anomalies SpikeAndDip reports.
package enum AnomalyMode: String, Hashable, Sendable, Encodable {
    case spikes, dips, spikesAndDips = "spikesanddips"
}

/// One analytic call of a SELECT, bound against the rows of its FROM clause.
package struct AnalyticCall: Hashable, Sendable, Encodable {
    package var function: AnalyticFunction
    /// The value argument (LAG/LAST/anomaly input); `nil` where the function has none.
    package var argument: BoundExpr?
    /// LAG/LAST's default, returned when no matching event is found.
    package var defaultValue: BoundExpr?
    package var partitionBy: [BoundExpr]
    /// `LIMIT DURATION(unit, n)`: how far back history reaches; `nil` where there is none (ISFIRST).
    package var duration: TimeSpan?
    /// `WHEN condition`: only events satisfying it enter the history.
    package var when: BoundExpr?
    package var resultType: DataType

    package init(function: AnalyticFunction, argument: BoundExpr?, defaultValue: BoundExpr? = nil, partitionBy: [BoundExpr],
                duration: TimeSpan?, when: BoundExpr?, resultType: DataType) {
        self.function = function
        self.argument = argument
        self.defaultValue = defaultValue
        self.partitionBy = partitionBy
        self.duration = duration
        self.when = when
        self.resultType = resultType
    }
}
