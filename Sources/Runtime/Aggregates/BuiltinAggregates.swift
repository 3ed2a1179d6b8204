import Planner

/// Every built-in aggregate, as registered in ``Planner/Catalog/standard``.
enum BuiltinAggregates {
    static let all: [any AggregateImplementation] = [
        CountAggregate(), SumAggregate(), AverageAggregate(),
        ExtremumAggregate<Smallest>(), ExtremumAggregate<Largest>(),
        VarianceAggregate<SampleDeviation>(), VarianceAggregate<PopulationDeviation>(),
        VarianceAggregate<SampleVariance>(), VarianceAggregate<PopulationVariance>(),
        HolisticAggregate<CollectKind>(), HolisticAggregate<TopOneKind>(), HolisticAggregate<CollectTopKind>(),
        HolisticAggregate<PercentileContKind>(), HolisticAggregate<PercentileDiscKind>(),
    ]
}
