import Planner

/// Builds the operator of each physical plan node: one function per node kind, each reading only
/// its node. This is where an operator is registered: a new physical node kind gets one case here.
struct OperatorFactory {
    let context: RuntimeContext
    /// The table of a reference input (loaded once per pipeline, or shared).
    let reference: (InputBinding, InputLayout) throws -> ReferenceData
    /// The writer of an output.
    let writer: (OutputBinding, [String]) throws -> any RowWriter

    /// The operator of `node`. `source` is the input a timestamp node reads (its only producer).
    func make(_ node: PhysicalNode, source: InputBinding?, layout: InputLayout?) throws -> any Operator {
        for call in node.aggregates where !(call.function.definition is any AggregateImplementation) {
            throw ConnectorError("plan node #\(node.id): aggregate \(call.function.name) has no runtime implementation")
        }
        switch node.kind {
        case .source: throw ConnectorError("plan node #\(node.id): a source is a pipeline input, not an operator")
        case .assignTimestamp(let a): return try assignTimestamp(a, node, source, layout)
        case .filter(let e): return FilterOperator(predicate: e, context: context)
        case .apply(let a): return ApplyOperator(a, context: context)
        case .project(let items): return ProjectOperator(items: items, context: context)
        case .join(let j): return join(j, node)
        case .referenceJoin(let j, let binding, let refLayout): return try referenceJoin(j, binding, refLayout, node)
        case .windowAggregate(let w): return windowAggregate(w)
        case .analytic(let calls): return AnalyticOperator(calls: calls, context: context)
        case .matchRecognize(let m): return MatchRecognizeOperator(m, inputWidth: node.inputSchemas[0].columns.count, context: context)
        case .union: return UnionOperator(widths: node.inputSchemas.map(\.columns.count))
        case .sink(let b):
            return SinkOperator(name: b.name, schemas: node.inputSchemas, writer: try writer(b, declaredColumns(node)), context: context,
                                tapsEveryRow: (b.endpoint as? any SinkEndpoint)?.chartsEveryRow ?? false)
        }
    }

    /// The column names a sink's first query writes, unless a `*` of a schemaless input leaves them to the rows.
    private func declaredColumns(_ node: PhysicalNode) -> [String] {
        guard let schema = node.inputSchemas.first, !schema.columns.contains(where: \.splice) else { return [] }
        return schema.columns.filter { !$0.hidden }.map(\.name)
    }

    private func assignTimestamp(_ a: TimestampAssignment, _ node: PhysicalNode, _ source: InputBinding?, _ layout: InputLayout?)
        throws -> any Operator {
        if let step = a.step {
            return TimestampOperator(input: step, assignment: a, arrivalFromEventTime: false, recordColumn: nil,
                                     width: node.inputSchemas.first?.columns.count ?? 0, context: context)
        }
        guard let source, let layout else { throw ConnectorError("plan node #\(node.id): AssignTimestamp must read an input") }
        return TimestampOperator(input: source.name, assignment: a, arrivalFromEventTime: source.endpoint.arrivesAtEventTime,
                                 recordColumn: layout.wantsRecord ? 0 : nil, width: layout.schema.columns.count, context: context,
                                 eventFields: layout.fields.enumerated().compactMap { i, field in
                                     MetadataProperty(layoutField: field) == nil ? (field, layout.column(ofField: i)) : nil
                                 })
    }

    private func join(_ j: JoinOperation, _ node: PhysicalNode) -> any Operator {
        StreamJoinOperator(j, leftWidth: node.inputSchemas[0].columns.count, rightWidth: node.inputSchemas[1].columns.count,
                           context: context)
    }

    private func referenceJoin(_ j: JoinOperation, _ binding: InputBinding, _ layout: InputLayout, _ node: PhysicalNode) throws -> any Operator {
        ReferenceJoinOperator(j, data: try reference(binding, layout), leftWidth: node.inputSchemas[0].columns.count, context: context)
    }

    private func windowAggregate(_ w: WindowAggregate) -> any Operator {
        switch w.window {
        case .sliding(let size): return SlidingWindowOperator(w, size: size, context: context)
        case .session(let timeout, let maxDuration, let partitionBy):
            return SessionWindowOperator(w, timeout: timeout, maxDuration: maxDuration, partitionBy: partitionBy, context: context)
        case .hopping(let size, let hop, let offset) where w.aggregates.contains(where: { $0.implementation.prefersRetraction }):
            return SlidingWindowOperator(w, size: size, grid: (hop.ticks, offset.ticks), context: context)
        case .tumbling, .hopping, .snapshot: return WindowAggregateOperator(w, context: context)
        }
    }
}

extension PhysicalNode {
    /// The aggregate calls the node computes.
    var aggregates: [AggregateCall] {
        switch kind {
        case .windowAggregate(let w): return w.aggregates
        case .analytic(let calls): return calls.compactMap { if case .aggregate(let a) = $0.function { a } else { nil } }
        case .matchRecognize(let m): return m.slots.compactMap { if case .aggregate(let a) = $0.pick { a } else { nil } }
        default: return []
        }
    }
}
