import Planner

/// Reference tables shared by several pipelines of one job (see ``PartitionedRun``).
final class SharedReferences {
    var tables: [String: (data: ReferenceData, layout: InputLayout)] = [:]
}
