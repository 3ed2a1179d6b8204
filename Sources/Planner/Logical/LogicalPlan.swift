import SAQLParser

/// A node of the logical plan: a tree of relational and streaming operators over event rows.
/// Data flows from the leaves (scans) to the root. Plans are values: rewrites compare them with `==`.
package indirect enum LogicalPlan: Hashable, Sendable {
    /// Reads an input. The columns are the job's ``InputLayout`` for that input.
    case scan(input: String)
    /// Assigns event time (TIMESTAMP BY, or arrival time) and applies the event-ordering policies.
    case assignTimestamp(TimestampAssignment, input: LogicalPlan)
    /// Appends one column per analytic call (LAG, LAST, ISFIRST, aggregates with OVER, anomaly
    /// detection), computed over each partition's history before any filtering.
    case analytic([AnalyticCall], input: LogicalPlan)
    /// MATCH_RECOGNIZE: one row of measures per match of a row pattern, per partition.
    case matchRecognize(MatchRecognize, input: LogicalPlan)
    /// Keeps rows where the predicate is true.
    case filter(BoundExpr, input: LogicalPlan)
    /// CROSS/OUTER APPLY: one row per array element or record property, appending two columns.
    case apply(ApplyOperation, input: LogicalPlan)
    /// A time-bounded join of two streams.
    case join(JoinOperation, left: LogicalPlan, right: LogicalPlan)
    /// A join of a stream with a reference input (its rows come from a table, not a stream).
    case referenceJoin(JoinOperation, input: LogicalPlan, reference: String, alias: String)
    /// Computes one output column per item.
    case project([ProjectItem], input: LogicalPlan)
    /// Groups rows by window and keys; emits keys then aggregates, timestamped at the window end.
    case windowAggregate(WindowAggregate, input: LogicalPlan)
    /// Concatenates streams with the same column count (UNION / UNION ALL keep duplicates).
    case union([LogicalPlan])
    /// A named WITH step; shared wherever it is read.
    case step(name: String, input: LogicalPlan)

    package var inputs: [LogicalPlan] {
        switch self {
        case .scan: return []
        case .assignTimestamp(_, let i), .filter(_, let i), .project(_, let i), .windowAggregate(_, let i), .step(_, let i),
             .analytic(_, let i), .apply(_, let i), .referenceJoin(_, let i, _, _), .matchRecognize(_, let i):
            return [i]
        case .join(_, let l, let r): return [l, r]
        case .union(let list): return list
        }
    }
}

/// How a stream gets its event time.
package struct TimestampAssignment: Hashable, Sendable, Encodable {
    /// The TIMESTAMP BY expression over the input's columns, or `nil` for arrival time.
    package var expr: BoundExpr?
    /// `TIMESTAMP BY ... OVER keys`: independent clocks per key (substreams).
    package var overKeys: [BoundExpr]
    package var outOfOrderTolerance: TimeSpan
    package var lateArrivalTolerance: TimeSpan?
    package var policy: EventOrderingPolicy
    package var partitionIdleTimeout: TimeSpan
    /// Set when the rows come from a step rather than an input (`FROM step TIMESTAMP BY t`): the
    /// step's name, and each row's time so far stands as its arrival time.
    package var step: String?

    package init(expr: BoundExpr?, overKeys: [BoundExpr] = [], settings: JobSettings) {
        self.expr = expr
        self.overKeys = overKeys
        outOfOrderTolerance = settings.outOfOrderTolerance
        lateArrivalTolerance = settings.lateArrivalTolerance
        policy = settings.outOfOrderPolicy
        partitionIdleTimeout = settings.partitionIdleTimeout
    }
}

/// One item of a projection.
package enum ProjectItem: Hashable, Sendable, Encodable {
    /// A named column computed by an expression.
    case expr(name: String, BoundExpr, hidden: Bool)
    /// A record whose fields all become output columns (`*` over a schemaless input, or `record.*`).
    case splice(BoundExpr)

    package var expr: BoundExpr {
        switch self {
        case .expr(_, let e, _), .splice(let e): return e
        }
    }
}

/// A windowed GROUP BY.
package struct WindowAggregate: Hashable, Sendable, Encodable {
    package var window: WindowSpec
    package var keys: [BoundExpr]
    package var keyNames: [String]
    package var aggregates: [AggregateCall]

    package init(window: WindowSpec, keys: [BoundExpr], keyNames: [String], aggregates: [AggregateCall]) {
        self.window = window
        self.keys = keys
        self.keyNames = keyNames
        self.aggregates = aggregates
    }
}

/// The fields a job reads from one input: every name the query references, plus the whole event
/// as a record when `*` or dynamic lookups need it.
package struct InputLayout: Hashable, Sendable, Encodable {
    package var input: String
    package var fields: [String]
    package var wantsRecord: Bool
    /// Declared CREATE TABLE types, enforced when the input is read.
    package var declaredTypes: [DataType?]
    /// Fields read only as the event time: the reader may store their ISO-8601 text as a datetime.
    /// Set by the physical planner (see `TimestampFieldAnalysis`).
    package var timestampOnly: Set<Int> = []

    package init(input: String, fields: [String], wantsRecord: Bool, declaredTypes: [DataType?]) {
        self.input = input
        self.fields = fields
        self.wantsRecord = wantsRecord
        self.declaredTypes = declaredTypes
    }

    /// True for inputs with a CREATE TABLE schema.
    package var isDeclared: Bool {
        let payload = zip(fields, declaredTypes).filter { MetadataProperty(layoutField: $0.0) == nil }
        return !payload.isEmpty && payload.allSatisfy { $0.1 != nil }
    }

    /// Row layout: `[record] + fields` when the record is wanted, else `fields`. A schemaless input's
    /// fields are then hidden (`*` writes the record); a declared input's stay visible.
    package var schema: Schema {
        let hide = wantsRecord && !isDeclared
        var cols = fields.enumerated().map {
            Column(name: $0.element, type: declaredTypes[$0.offset] ?? .any, hidden: hide || MetadataProperty(layoutField: $0.element) != nil)
        }
        if wantsRecord { cols.insert(Column(name: "*", type: .anyRecord, splice: true), at: 0) }
        return Schema(columns: cols, origins: [input])
    }

    /// The row column holding field `i`.
    package func column(ofField i: Int) -> Int { wantsRecord ? i + 1 : i }
}

/// One SELECT ... INTO statement's plan and its destination.
package struct OutputPlan: Hashable, Sendable {
    package var output: String
    package var plan: LogicalPlan
    package var range: SourceRange
}

/// A whole job's logical plan: every statement, the input layouts, and the settings.
package struct LogicalJob: Sendable {
    package var statements: [OutputPlan]
    package var layouts: [String: InputLayout]
    package var settings: JobSettings

    /// The output schema of a plan node.
    package func schema(of plan: LogicalPlan) -> Schema {
        switch plan {
        case .scan(let input):
            return layouts[input]?.schema ?? Schema(columns: [])
        case .assignTimestamp(_, let i), .filter(_, let i), .step(_, let i):
            return schema(of: i)
        case .apply(let a, let i):
            var s = schema(of: i)
            s.columns += a.function.columns.map { Column(name: "\(a.alias).\($0)", type: .any) }
            return s
        case .join(_, let l, let r):
            let left = schema(of: l), right = schema(of: r)
            return Schema(columns: left.columns + right.columns, origins: left.origins + right.origins)
        case .referenceJoin(_, let i, let reference, let alias):
            let left = schema(of: i), right = layouts[reference]?.schema ?? Schema(columns: [])
            // Reference columns are qualified by the alias, like a stream join's (for EXPLAIN).
            let qualified = right.columns.map { c in
                var c = c
                c.name = "\(alias).\(c.name)"
                return c
            }
            return Schema(columns: left.columns + qualified, origins: left.origins + right.origins)
        case .analytic(let calls, let i):
            var s = schema(of: i)
            let printer = ExprPrinter(schema: s)
            for c in calls { s.columns.append(Column(name: c.shortName(printer), type: c.resultType, hidden: true)) }
            return s
        case .project(let items, let i):
            let origins = schema(of: i).origins
            return Schema(columns: items.map { item in
                switch item {
                case .expr(let n, let e, let hidden): return Column(name: n, type: e.type, hidden: hidden)
                case .splice(let e): return Column(name: "*", type: e.type, splice: true)
                }
            }, origins: origins)
        case .windowAggregate(let w, let i):
            let printer = ExprPrinter(schema: schema(of: i))
            return Schema(columns: zip(w.keyNames, w.keys).map { Column(name: $0, type: $1.type) }
                + w.aggregates.map { Column(name: $0.display(printer), type: $0.resultType) })
        case .union(let list):
            return list.first.map { schema(of: $0) } ?? Schema(columns: [])
        case .matchRecognize(let m, _):
            return Schema(columns: m.measures.map { Column(name: $0.name, type: $0.expr.type) })
        }
    }
}
