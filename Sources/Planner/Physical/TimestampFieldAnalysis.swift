/// A physical rewrite (`parse_timestamps_at_source`): an input field read by nothing but its
/// TIMESTAMP BY (as a bare column) never has its text observed, so the source may decode it
/// straight into a datetime. That saves building a String per event on the hottest path.
enum TimestampFieldAnalysis {
    static func apply(to plan: inout PhysicalPlan) {
        let consumers = plan.consumers
        for node in plan.nodes {
            guard case .source(let binding, var layout) = node.kind, !layout.wantsRecord else { continue }
            var timeColumns = Set<Int>()
            var otherReads = Set<Int>()
            for (consumer, _) in consumers[node.id] {
                if case .assignTimestamp(let a) = plan.nodes[consumer].kind, let e = a.expr, case .column(let c) = e.kind {
                    timeColumns.insert(c)
                    for k in a.overKeys { otherReads.formUnion(k.columnsRead) }
                    otherReads.formUnion(reads(ofOutputOf: consumer, plan: plan, consumers: consumers))
                } else {
                    otherReads.formUnion(0..<node.schema.columns.count)
                }
            }
            layout.timestampOnly = Set(timeColumns.subtracting(otherReads).map { $0 })
            plan.nodes[node.id].kind = .source(binding, layout)
        }
    }

    /// The columns of `id`'s output that any downstream operator reads.
    static func reads(ofOutputOf id: Int, plan: PhysicalPlan, consumers: [[(node: Int, port: Int)]]) -> Set<Int> {
        var out = Set<Int>()
        let width = plan.nodes[id].schema.columns.count
        for (c, _) in consumers[id] {
            switch plan.nodes[c].kind {
            case .filter(let e):
                out.formUnion(e.columnsRead)
                out.formUnion(reads(ofOutputOf: c, plan: plan, consumers: consumers))
            case .analytic(let calls):
                for call in calls { out.formUnion(call.columnsRead) }
                out.formUnion(reads(ofOutputOf: c, plan: plan, consumers: consumers).filter { $0 < width })
            case .project(let items):
                for item in items { out.formUnion(item.expr.columnsRead) }
            case .windowAggregate(let w):
                for k in w.keys { out.formUnion(k.columnsRead) }
                for a in w.aggregates { if let e = a.argument { out.formUnion(e.columnsRead) } }
            case .source, .assignTimestamp, .union, .sink, .apply, .join, .referenceJoin, .matchRecognize:
                out.formUnion(0..<width)
            }
        }
        return out
    }
}

extension AnalyticCall {
    /// Every input column the call reads.
    package var columnsRead: Set<Int> {
        var out = Set<Int>()
        for e in [argument, defaultValue, when].compactMap({ $0 }) + partitionBy { out.formUnion(e.columnsRead) }
        if case .aggregate(let a) = function {
            if let e = a.argument { out.formUnion(e.columnsRead) }
            for o in a.orderBy { out.formUnion(o.expr.columnsRead) }
        }
        return out
    }
}
