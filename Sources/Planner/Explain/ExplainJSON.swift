import SAQLParser

extension Explain {
    /// The physical plan as JSON, one operator per line (stable, fit for golden tests and tools):
    ///
    /// `{"nodes": [{"id", "operator", "inputs", "steps", "columns", "state", ...}], "sinks": [ids], "scale_out": {...}}`
    ///
    /// Each operator adds what it does: a source its input and connector, AssignTimestamp its time
    /// column, tolerances and policy (its watermark), windows their kind, size and keys, analytic
    /// functions and joins their partition keys, sinks their output.
    package static func physicalJSON(_ plan: PhysicalPlan) -> String {
        let nodes = plan.nodes.map { node -> String in
            var fields: [(String, String)] = [("id", "\(node.id)"), ("operator", JSONText.string(operatorName(node)))]
            fields.append(("inputs", JSONText.array(node.inputs.map { "\($0)" })))
            if !node.steps.isEmpty { fields.append(("steps", JSONText.array(node.steps.map(JSONText.string)))) }
            fields += details(node)
            fields.append(("columns", JSONText.array(node.schema.columns.filter { !$0.hidden }.map { JSONText.string($0.splice ? "*" : $0.name) })))
            return "  " + JSONText.object(fields)
        }
        var out = "{\"nodes\": [\n" + nodes.joined(separator: ",\n") + "\n],\n"
        out += "\"sinks\": " + JSONText.array(plan.sinks.map { "\($0.id)" })
        if let verdict = ScaleOut.analyze(plan) {
            var fields = [("partition_local", verdict.isPartitionLocal ? "true" : "false"), ("detail", JSONText.string(verdict.detail))]
            if let topic = plan.stateTopic { fields.append(("state_topic", JSONText.string(topic))) }
            out += ",\n\"scale_out\": " + JSONText.object(fields)
        }
        return out + "}\n"
    }

    private static func operatorName(_ node: PhysicalNode) -> String {
        String(describe(node).prefix { $0 != ":" })
    }

    private static func strings(_ exprs: [BoundExpr], _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        return JSONText.array(exprs.map { JSONText.string(p.print($0)) })
    }

    private static func details(_ node: PhysicalNode) -> [(String, String)] {
        let schema = node.inputSchemas.first ?? Schema(columns: [])
        let p = ExprPrinter(schema: schema)
        func s(_ text: String) -> String { JSONText.string(text) }
        switch node.kind {
        case .source(let binding, let layout):
            return [("input", s(binding.name)), ("connector", s(binding.endpoint.explainLine)),
                    ("fields", JSONText.array(layout.fields.map { s(ExprPrinter.quote($0)) }))]
        case .assignTimestamp(let a):
            var f: [(String, String)] = [("time", s(a.expr.map(p.print) ?? "arrival_time"))]
            if a.expr != nil {
                f += [("out_of_order_tolerance", s("\(a.outOfOrderTolerance)")),
                      ("late_arrival_tolerance", s(a.lateArrivalTolerance.map(\.description) ?? "unbounded")),
                      ("policy", s(a.policy.rawValue)),
                      ("watermark", s("max(max event time - out_of_order_tolerance, max arrival time - late_arrival_tolerance)"))]
            } else {
                f.append(("watermark", s("arrival time")))
            }
            if !a.overKeys.isEmpty { f.append(("substream_keys", strings(a.overKeys, schema))) }
            let buffer = !a.overKeys.isEmpty ? "clock and reorder buffer per key"
                : a.outOfOrderTolerance == .zero || a.expr == nil ? "none" : "reorder buffer"
            return f + [("state", s(buffer))]
        case .filter(let e): return [("predicate", s(p.print(e)))]
        case .apply(let a): return [("apply", s(describe(a, schema)))]
        case .project(let items): return [("items", s(describe(items, schema)))]
        case .windowAggregate(let w):
            var f: [(String, String)] = [("window", s("\(w.window)")), ("keys", strings(w.keys, schema)),
                                         ("aggregates", JSONText.array(w.aggregates.map { s($0.display(p)) }))]
            if case .session(_, _, let partition) = w.window, !partition.isEmpty { f.append(("partition_keys", strings(partition, schema))) }
            let emission = emission(w.window)
            f.append(("emit", s(String(emission.dropFirst("emit=".count).prefix { $0 != "," }))))
            f.append(("state", s(String(emission.split(separator: "=").last ?? ""))))
            return f
        case .matchRecognize(let m):
            return [("match", s(describe(m, schema))), ("partition_keys", strings(m.partitionBy, schema)),
                    ("state", s("partial matches per partition"))]
        case .analytic(let calls):
            return [("functions", s(describe(calls, schema))),
                    ("partition_keys", JSONText.array(calls.map { strings($0.partitionBy, schema) })),
                    ("state", s("history per partition"))]
        case .join(let j):
            return [("join", s(describe(j, node.schema))), ("state", s("rows within the time bound per key on each side"))]
        case .referenceJoin(let j, let reference, _):
            return [("reference", s(reference.name)), ("connector", s(reference.endpoint.explainLine)), ("join", s(describe(j, node.schema))),
                    ("state", s("reference table indexed by key"))]
        case .union: return [("watermark", s("min(inputs)"))]
        case .sink(let b): return [("output", s(b.name)), ("connector", s(b.endpoint.explainLine))]
        }
    }
}
