/// The physical operator graph of a job: a DAG whose nodes are listed so that every node comes
/// after its inputs. Shared steps and shared input reads appear once.
package struct PhysicalPlan: Sendable {
    package var nodes: [PhysicalNode]

    /// The sink nodes, one per output, in output order.
    package var sinks: [PhysicalNode] { nodes.filter { if case .sink = $0.kind { return true } else { return false } } }

    /// Nodes reading each node's output, as (consumer id, input port) pairs.
    package var consumers: [[(node: Int, port: Int)]] {
        var out = [[(node: Int, port: Int)]](repeating: [], count: nodes.count)
        for n in nodes {
            for (port, i) in n.inputs.enumerated() { out[i].append((n.id, port)) }
        }
        return out
    }
}

/// One operator instance in the physical plan.
package struct PhysicalNode: Sendable, Encodable {
    package var id: Int
    package var kind: PhysicalOperatorKind
    /// Producer node ids, by input port.
    package var inputs: [Int]
    /// The layout of rows this node emits (for sinks: unused; see `inputSchemas`).
    package var schema: Schema
    /// The layout of rows arriving on each input port.
    package var inputSchemas: [Schema]
    /// WITH step names this node computes, for EXPLAIN.
    package var steps: [String]

    /// Step names are labels: renaming one changes no state.
    private enum CodingKeys: String, CodingKey { case id, kind, inputs, schema, inputSchemas }
}

/// The physical operators.
package enum PhysicalOperatorKind: Sendable, Encodable {
    /// Reads an input's events into rows of its layout, with their arrival times.
    case source(InputBinding, InputLayout)
    /// Evaluates event time and applies late-arrival and out-of-order policies; emits watermarks.
    case assignTimestamp(TimestampAssignment)
    case analytic([AnalyticCall])
    /// One row of measures per match of a row pattern, per partition; rows in event-time order.
    case matchRecognize(MatchRecognize)
    case filter(BoundExpr)
    /// CROSS/OUTER APPLY: one row per array element or record property.
    case apply(ApplyOperation)
    /// A time-bounded join of its two input ports (0 = left, 1 = right). Rows come out in event-time
    /// order: a match once both watermarks pass its time, an unmatched LEFT row once no match can come.
    case join(JoinOperation)
    /// Joins its input with a reference table, loaded from `reference` before the first row.
    case referenceJoin(JoinOperation, reference: InputBinding, layout: InputLayout)
    case project([ProjectItem])
    case windowAggregate(WindowAggregate)
    /// Merges its inputs; the watermark is the minimum of the inputs' watermarks.
    case union
    /// Writes rows to an output; each input port is one SELECT ... INTO statement.
    case sink(OutputBinding)
}

/// Lowers a ``LogicalJob`` to a ``PhysicalPlan``, sharing structurally equal subplans.
package struct PhysicalPlanner {
    private var nodes: [PhysicalNode] = []
    private var memo: [LogicalPlan: Int] = [:]
    private let job: LogicalJob
    private let inputs: [String: InputBinding]

    package init(job: LogicalJob, inputs: [InputBinding]) {
        self.job = job
        var map: [String: InputBinding] = [:]
        for i in inputs { map[i.name] = i }
        self.inputs = map
    }

    /// Plans every statement and one sink per output.
    package mutating func plan(outputs: [OutputBinding]) -> PhysicalPlan {
        var sinkInputs: [String: [Int]] = [:]
        var order: [String] = []
        for s in job.statements {
            let id = lower(s.plan)
            if sinkInputs[s.output] == nil { order.append(s.output) }
            sinkInputs[s.output, default: []].append(id)
        }
        for name in order {
            let binding = outputs.first { $0.name == name } ?? OutputBinding(name: name, endpoint: UnboundEndpoint())
            let ins = sinkInputs[name] ?? []
            _ = add(.sink(binding), inputs: ins, schema: Schema(columns: []))
        }
        var plan = PhysicalPlan(nodes: nodes)
        TimestampFieldAnalysis.apply(to: &plan)
        return plan
    }

    private mutating func add(_ kind: PhysicalOperatorKind, inputs: [Int], schema: Schema) -> Int {
        let id = nodes.count
        nodes.append(PhysicalNode(id: id, kind: kind, inputs: inputs, schema: schema,
                                  inputSchemas: inputs.map { nodes[$0].schema }, steps: []))
        return id
    }

    private mutating func lower(_ plan: LogicalPlan) -> Int {
        if let id = memo[plan] { return id }
        let id: Int
        switch plan {
        case .scan(let input):
            let layout = job.layouts[input] ?? InputLayout(input: input, fields: [], wantsRecord: false, declaredTypes: [])
            let binding = inputs[input] ?? InputBinding(name: input, kind: .stream, endpoint: UnboundEndpoint())
            id = add(.source(binding, layout), inputs: [], schema: layout.schema)
        case .assignTimestamp(let a, let input):
            id = add(.assignTimestamp(a), inputs: [lower(input)], schema: job.schema(of: plan))
        case .filter(let e, let input):
            id = add(.filter(e), inputs: [lower(input)], schema: job.schema(of: plan))
        case .apply(let a, let input):
            id = add(.apply(a), inputs: [lower(input)], schema: job.schema(of: plan))
        case .join(let j, let left, let right):
            id = add(.join(j), inputs: [lower(left), lower(right)], schema: job.schema(of: plan))
        case .referenceJoin(let j, let input, let reference, _):
            let layout = job.layouts[reference] ?? InputLayout(input: reference, fields: [], wantsRecord: false, declaredTypes: [])
            let binding = inputs[reference] ?? InputBinding(name: reference, kind: .reference, endpoint: UnboundEndpoint())
            id = add(.referenceJoin(j, reference: binding, layout: layout), inputs: [lower(input)], schema: job.schema(of: plan))
        case .analytic(let calls, let input):
            id = add(.analytic(calls), inputs: [lower(input)], schema: job.schema(of: plan))
        case .matchRecognize(let m, let input):
            id = add(.matchRecognize(m), inputs: [lower(input)], schema: job.schema(of: plan))
        case .project(let items, let input):
            id = add(.project(items), inputs: [lower(input)], schema: job.schema(of: plan))
        case .windowAggregate(let w, let input):
            id = add(.windowAggregate(w), inputs: [lower(input)], schema: job.schema(of: plan))
        case .union(let list):
            let ins = list.map { lower($0) }
            id = add(.union, inputs: ins, schema: job.schema(of: plan))
        case .step(let name, let input):
            id = lower(input)
            if !nodes[id].steps.contains(name) { nodes[id].steps.append(name) }
        }
        memo[plan] = id
        return id
    }
}
