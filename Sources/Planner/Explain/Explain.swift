/// Renders plans as stable, indented text trees (two spaces per level, one node per line,
/// `Name: key=value, ...`), fit for golden tests.
package enum Explain {
    /// The logical plan, one tree per statement.
    package static func logical(_ job: LogicalJob) -> String {
        var out = "logical_plan\n"
        for s in job.statements {
            out += "  Output: \(ExprPrinter.quote(s.output))\n"
            render(s.plan, job: job, depth: 2, into: &out)
        }
        return out
    }

    private static func render(_ plan: LogicalPlan, job: LogicalJob, depth: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: depth)
        let inputSchema = plan.inputs.first.map { job.schema(of: $0) } ?? Schema(columns: [])
        out += pad + describe(plan, job: job, inputSchema: inputSchema) + "\n"
        for i in plan.inputs { render(i, job: job, depth: depth + 1, into: &out) }
    }

    static func describe(_ plan: LogicalPlan, job: LogicalJob, inputSchema: Schema) -> String {
        switch plan {
        case .scan(let input):
            let layout = job.layouts[input]
            var s = "Scan: \(ExprPrinter.quote(input))"
            if let layout {
                s += ", fields=[\(layout.fields.map(ExprPrinter.quote).joined(separator: ", "))]"
                if layout.wantsRecord { s += ", record=true" }
            }
            return s
        case .assignTimestamp(let a, _): return "AssignTimestamp: " + describe(a, inputSchema)
        case .filter(let e, _): return "Filter: " + ExprPrinter(schema: inputSchema).print(e)
        case .apply(let a, _): return "Apply: " + describe(a, inputSchema)
        case .join(let j, _, _): return "Join: " + describe(j, job.schema(of: plan))
        case .referenceJoin(let j, _, let reference, _):
            return "ReferenceJoin: reference=\(ExprPrinter.quote(reference)), " + describe(j, job.schema(of: plan))
        case .analytic(let calls, _): return "Analytic: " + describe(calls, inputSchema)
        case .matchRecognize(let m, _): return "MatchRecognize: " + describe(m, inputSchema)
        case .project(let items, _): return "Project: " + describe(items, inputSchema)
        case .windowAggregate(let w, _): return "WindowAggregate: " + describe(w, inputSchema)
        case .union(let l): return "Union: inputs=\(l.count)"
        case .step(let name, _): return "Step: \(ExprPrinter.quote(name))"
        }
    }

    static func describe(_ a: TimestampAssignment, _ schema: Schema) -> String {
        // Without TIMESTAMP BY, arrival time never goes backwards and the policies do not apply.
        guard let expr = a.expr else { return "time=arrival_time" }
        let time = ExprPrinter(schema: schema).print(expr)
        let late = a.lateArrivalTolerance.map(\.description) ?? "unbounded"
        var s = "time=\(time), out_of_order=\(a.outOfOrderTolerance), late_arrival=\(late), policy=\(a.policy.rawValue)"
        if !a.overKeys.isEmpty { s += ", over=[\(a.overKeys.map { ExprPrinter(schema: schema).print($0) }.joined(separator: ", "))]" }
        if let step = a.step { s += ", arrival=rows of step \(step)" }
        return s
    }

    static func describe(_ a: ApplyOperation, _ schema: Schema) -> String {
        "\(a.outer ? "outer" : "cross") \(a.function.rawValue)(\(ExprPrinter(schema: schema).print(a.argument)))"
    }

    /// `schema` is the joined row's: keys and conditions print with the sources' column names.
    static func describe(_ j: JoinOperation, _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        var parts = ["type=\(j.kind.rawValue)"]
        if !j.leftKeys.isEmpty {
            parts.append("keys=[\(j.leftKeys.map(p.print).joined(separator: ", "))] = [\(j.rightKeys.map { p.print($0.remapColumns { BoundExpr(.column($0 + j.leftWidth), .any) }) }.joined(separator: ", "))]")
        }
        if let r = j.residual { parts.append("condition=\(p.print(r))") }
        if let t = j.time {
            let l = p.print(BoundExpr(.column(t.leftTimeColumn), .datetime)), r = p.print(BoundExpr(.column(j.leftWidth + t.rightTimeColumn), .datetime))
            parts.append("time=DATEDIFF(\(t.unit), \(l), \(r)) in [\(t.low), \(t.high)]")
        }
        return parts.joined(separator: ", ")
    }

    static func describe(_ items: [ProjectItem], _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        return items.compactMap { item -> String? in
            switch item {
            case .splice(let e): return p.print(e) == "*" ? "*" : "\(p.print(e)).*"
            case .expr(let name, let e, let hidden):
                if hidden { return nil }
                let text = p.print(e)
                return text == ExprPrinter.quote(name) ? text : "\(ExprPrinter.quote(name))=\(text)"
            }
        }.joined(separator: ", ")
    }

    /// `partition=[...], duration=1m, pattern=(...), define=[V: cond, ...], measures=[name=expr, ...]`.
    static func describe(_ m: MatchRecognize, _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        var parts: [String] = []
        if !m.partitionBy.isEmpty { parts.append("partition=[\(m.partitionBy.map(p.print).joined(separator: ", "))]") }
        if let d = m.duration { parts.append("duration=\(d)") }
        parts.append("pattern=(\(m.patternText))")
        let defines = m.variables.indices.compactMap { i -> String? in
            if let d = m.definitions[i] { return "\(m.variables[i]): \(p.print(d))" }
            guard let c = m.matchConditions[i] else { return nil }
            let slots = ExprPrinter(schema: Schema(columns: c.slots.map { Column(name: slotName($0, m, schema), type: $0.type) }))
            return "\(m.variables[i]): \(slots.print(c.condition))"
        }
        if !defines.isEmpty { parts.append("define=[\(defines.joined(separator: ", "))]") }
        let slots = ExprPrinter(schema: Schema(columns: m.slots.map { Column(name: slotName($0, m, schema), type: $0.type) }))
        parts.append("measures=[\(m.measures.map { "\($0.name)=\(slots.print($0.expr))" }.joined(separator: ", "))]")
        return parts.joined(separator: ", ")
    }

    /// `FIRST(Warning.Time)`, `LAST(Time)`, `COUNT(Warning.Operation_Id)`: columns qualified by the
    /// variable whose events the slot reads.
    private static func slotName(_ s: MatchSlot, _ m: MatchRecognize, _ schema: Schema) -> String {
        var qualified = schema
        if let v = s.variable {
            for i in qualified.columns.indices { qualified.columns[i].name = "\(m.variables[v]).\(qualified.columns[i].name)" }
        }
        let p = ExprPrinter(schema: qualified)
        switch s.pick {
        case .current: return s.value.map(p.print) ?? "*"
        case .classifier: return "CLASSIFIER()"
        case .first: return "FIRST(\(s.value.map(p.print) ?? "*"))"
        case .last: return "LAST(\(s.value.map(p.print) ?? "*"))"
        case .aggregate(let a): return a.display(p)
        }
    }

    static func describe(_ calls: [AnalyticCall], _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        return calls.map { c in
            var args: [String] = []
            switch c.function {
            case .aggregate(let a): args.append(a.display(p))
            case .isFirst(let i): args.append("interval \(i)")
            case .lag(let offset): args += [c.argument.map(p.print) ?? "*", "offset \(offset)"]
            case .spikeAndDip(let conf, let h, let mode): args += [c.argument.map(p.print) ?? "", "\(conf)", "\(h)", mode.rawValue]
            case .changePoint(let conf, let h): args += [c.argument.map(p.print) ?? "", "\(conf)", "\(h)"]
            case .last: args.append(c.argument.map(p.print) ?? "*")
            }
            if let d = c.defaultValue { args.append("default \(p.print(d))") }
            var over: [String] = []
            if !c.partitionBy.isEmpty { over.append("partition=[\(c.partitionBy.map(p.print).joined(separator: ", "))]") }
            if let d = c.duration { over.append("duration=\(d)") }
            if let w = c.when { over.append("when=\(p.print(w))") }
            let name = { if case .aggregate = c.function { return "" } else { return c.function.name } }()
            return "\(name)(\(args.joined(separator: ", "))) over(\(over.joined(separator: ", ")))"
        }.joined(separator: "; ")
    }

    static func describe(_ w: WindowAggregate, _ schema: Schema) -> String {
        let p = ExprPrinter(schema: schema)
        var s = "window=\(w.window)"
        if case .session(_, _, let partition) = w.window, !partition.isEmpty {
            s += ", partition=[\(partition.map(p.print).joined(separator: ", "))]"
        }
        return s + ", keys=[\(w.keys.map(p.print).joined(separator: ", "))], "
            + "aggregates=[\(w.aggregates.map { $0.display(p) }.joined(separator: ", "))]"
    }

    /// When a window aggregate emits and what it keeps.
    static func emission(_ w: WindowSpec) -> String {
        switch w {
        case .tumbling, .hopping, .snapshot: return "emit=watermark past window end, state=open windows x groups"
        case .sliding: return "emit=each entry and exit once the watermark passes it, state=events within the window per group"
        case .session: return "emit=watermark past session end, state=open session per partition x groups"
        }
    }

    /// The physical DAG from each sink down; nodes already printed are referenced by id.
    package static func physical(_ plan: PhysicalPlan) -> String {
        var out = "physical_plan\n"
        var printed = Set<Int>()
        for sink in plan.sinks { render(sink.id, plan: plan, depth: 1, printed: &printed, into: &out) }
        return out + scaleOut(plan)
    }

    /// For jobs reading Kafka: the topics, the ``ScaleOut`` verdict and where partition state lives.
    static func scaleOut(_ plan: PhysicalPlan) -> String {
        guard let verdict = ScaleOut.analyze(plan) else { return "" }
        let inputs = plan.nodes.compactMap(\.partitionedInput)
        var out = "scale_out: topics=[\(inputs.compactMap(\.partitionedTopic).joined(separator: ", "))]\n  \(verdict.detail)\n"
        for input in inputs {
            guard let topic = input.stateTopic else { continue }
            out += "  state: per partition in topic \(topic); each partition runs on its own and its state moves with it at a rebalance\n"
        }
        return out
    }

    private static func render(_ id: Int, plan: PhysicalPlan, depth: Int, printed: inout Set<Int>, into out: inout String) {
        let node = plan.nodes[id]
        let pad = String(repeating: "  ", count: depth)
        if printed.contains(id) {
            out += "\(pad)#\(id) (shared, shown above)\n"
            return
        }
        printed.insert(id)
        var line = "\(pad)#\(id) \(describe(node))"
        if !node.steps.isEmpty { line += " [step: \(node.steps.joined(separator: ", "))]" }
        out += line + "\n"
        for i in node.inputs { render(i, plan: plan, depth: depth + 1, printed: &printed, into: &out) }
    }

    static func describe(_ node: PhysicalNode) -> String {
        let schema = node.inputSchemas.first ?? Schema(columns: [])
        switch node.kind {
        case .source(let binding, let layout):
            var s = "Source: input=\(ExprPrinter.quote(binding.name)), \(binding.endpoint.explainLine)"
            s += ", fields=[\(layout.fields.map(ExprPrinter.quote).joined(separator: ", "))]"
            if layout.wantsRecord { s += ", record=true" }
            return s
        case .assignTimestamp(let a):
            let buffer = !a.overKeys.isEmpty ? "clock and reorder buffer per key"
                : a.outOfOrderTolerance == .zero || a.expr == nil ? "none" : "reorder buffer"
            return "AssignTimestamp: \(describe(a, schema)), state=\(buffer)"
        case .filter(let e): return "Filter: \(ExprPrinter(schema: schema).print(e))"
        case .apply(let a): return "Apply: \(describe(a, schema))"
        case .join(let j):
            return "StreamJoin: \(describe(j, node.schema)), state=rows within the time bound per key on each side"
        case .referenceJoin(let j, let reference, _):
            return "ReferenceJoin: reference=\(ExprPrinter.quote(reference.name)) (\(reference.endpoint.explainLine)), "
                + "\(describe(j, node.schema)), state=reference table indexed by key"
        case .analytic(let calls): return "Analytic: \(describe(calls, schema)), state=history per partition"
        case .matchRecognize(let m): return "MatchRecognize: \(describe(m, schema)), state=partial matches per partition"
        case .project(let items): return "Project: \(describe(items, schema))"
        case .windowAggregate(let w):
            return "WindowAggregate: \(describe(w, schema)), \(emission(w.window))"
        case .union: return "Union: watermark=min(inputs)"
        case .sink(let b): return "Sink: output=\(ExprPrinter.quote(b.name)), \(b.endpoint.explainLine)"
        }
    }
}

extension AggregateCall {
    /// `AVG(Temperature)`, `COUNT(*)`, `CollectTop(2, x ORDER BY t DESC)`.
    package func display(_ p: ExprPrinter) -> String {
        var args: [String] = []
        if let parameter {
            args.append(parameter == parameter.rounded() && function.definition.arguments == .countAndOptionalRow
                        ? String(Int(parameter)) : String(parameter))
        }
        if let argument { args.append(p.print(argument)) } else if function.definition.arguments != .fraction {
            args.append("*")
        }
        var text = args.joined(separator: ", ")
        if !orderBy.isEmpty {
            text += " ORDER BY " + orderBy.map { p.print($0.expr) + ($0.descending ? " DESC" : "") }.joined(separator: ", ")
        }
        return "\(function.name)(\(distinct ? "DISTINCT " : "")\(text))"
    }
}

extension AnalyticCall {
    /// A short label for the call's result column: `LAG(Plate)`, `ISFIRST(10m)`, `SUM(Speed)`.
    package func shortName(_ p: ExprPrinter) -> String {
        switch function {
        case .aggregate(let a): return a.display(p)
        case .isFirst(let i): return "ISFIRST(\(i))"
        default: return "\(function.name)(\(argument.map(p.print) ?? "*"))"
        }
    }
}
