import Planner

/// Every built-in aggregate, as registered in ``Planner/Catalog/standard``.
enum BuiltinAggregates {
    static let all: [any AggregateImplementation] = [
        CountAggregate(), SumAggregate(), AverageAggregate(),
        ExtremumAggregate(isMax: false), ExtremumAggregate(isMax: true),
        VarianceAggregate(kind: .stdev), VarianceAggregate(kind: .stdevp), VarianceAggregate(kind: .variance), VarianceAggregate(kind: .variancep),
        HolisticAggregate<CollectKind>(), HolisticAggregate<TopOneKind>(), HolisticAggregate<CollectTopKind>(),
        HolisticAggregate<PercentileContKind>(), HolisticAggregate<PercentileDiscKind>(),
    ]
}
