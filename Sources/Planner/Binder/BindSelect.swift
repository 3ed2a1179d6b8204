import SAQLParser

extension Binder {
    /// Binds one SELECT block to a plan and its output schema.
    mutating func bindSelect(_ core: SelectCore) -> (LogicalPlan, Schema) {
        guard let from = core.from else {
            diagnostics.append(.error("SAQL2002", "SELECT needs a FROM clause", at: core.range,
                                      helps: [.init("every SAQL query reads from an input or a step: add FROM <input>")]))
            return (.union([]), Schema(columns: []))
        }
        var (plan, scope) = bindFrom(from)
        let savedAnalytics = analyticColumns
        defer { analyticColumns = savedAnalytics }
        analyticColumns = [:]
        plan = bindAnalytics(analyticCalls(in: core), plan: plan, scope: &scope)
        if let w = core.whereClause {
            let predicate = bindPredicate(w, scope, clause: "WHERE")
            plan = .filter(predicate, input: plan)
        }
        if core.distinct {
            diagnostics.append(.error("SAQL4002", "SELECT DISTINCT is not supported yet", at: core.range,
                                      helps: [.init("group by the columns with a window to remove duplicates")]))
        }
        if let top = core.top {
            diagnostics.append(.error("SAQL4002", "SELECT TOP is not supported yet", at: top.range))
        }
        let grouped = core.groupBy != nil || core.items.contains { item in
            if case .expr(let e, _) = item { return containsAggregate(e) }
            return false
        } || (core.having.map(containsAggregate) ?? false)
        if grouped { return bindGroupedSelect(core, plan: plan, scope: scope) }
        if let having = core.having {
            // HAVING without GROUP BY behaves like WHERE.
            plan = .filter(bindPredicate(having, scope, clause: "HAVING"), input: plan)
        }
        let (items, schema) = bindSelectItems(core.items, scope: scope, mode: .forbidden(clause: "SELECT"))
        return (.project(items, input: plan), schema)
    }

    /// Binds FROM: the source (an input or a step) with its TIMESTAMP BY, joins and applies.
    mutating func bindFrom(_ from: FromClause) -> (LogicalPlan, Scope) {
        let source = from.source
        for tail in from.tail {
            switch tail {
            case .join(let j):
                diagnostics.append(.error("SAQL4003", "JOIN is not supported yet", at: j.range))
            case .apply(let a):
                diagnostics.append(.error("SAQL4003", "\(a.kind.rawValue) APPLY is not supported yet", at: a.range))
            }
        }
        if let mr = source.matchRecognize {
            diagnostics.append(.error("SAQL4004", "MATCH_RECOGNIZE is not supported yet", at: mr,
                                      helps: [.init("express the pattern with LAG/LAST and windows for now")]))
        }
        if let pb = source.partitionBy, let first = pb.first {
            let range = pb.dropFirst().reduce(first.range) { $0.union($1.range) }
            diagnostics.append(.warning("SAQL2040", "PARTITION BY in FROM is accepted and ignored: a local run has one partition",
                                        at: range))
        }
        let alias = source.referenceName.text
        if let cte = ctes[source.name.text.lowercased()] {
            usedSteps.insert(cte.name.text.lowercased())
            let (plan, schema) = bindStep(cte)
            if let ts = source.timestampBy {
                diagnostics.append(.error("SAQL2041", "TIMESTAMP BY cannot be applied to the step '\(cte.name.text)'",
                                          at: ts.range,
                                          helps: [.init("put TIMESTAMP BY on the FROM clause inside the step, where the input is read")]))
            }
            return (plan, Scope(relations: [.init(alias: alias, schema: schema, offset: 0)]))
        }
        guard let input = inputName(source.name) else {
            return (.union([]), Scope(relations: [.init(alias: alias, schema: Schema(columns: []), offset: 0, poisoned: true)]))
        }
        if let binding = header.input(named: input), binding.kind == .reference {
            diagnostics.append(.error("SAQL2042", "reference input '\(input)' can only be read through a JOIN",
                                      at: source.name.range))
        }
        let scan = LogicalPlan.scan(input: input)
        let relation = Scope.Relation(alias: alias, schema: layout(of: input).schema, offset: 0, input: input)
        let scope = Scope(relations: [relation])
        var assignment = TimestampAssignment(expr: nil, settings: header.settings)
        if let ts = source.timestampBy {
            var e = bindExpr(ts.expr, scope, .forbidden(clause: "TIMESTAMP BY"))
            if containsSystemTimestamp(e) {
                diagnostics.append(.error("SAQL2043", "System.Timestamp() cannot be used in TIMESTAMP BY", at: ts.expr.range))
            }
            if e.type != .any && e.type != .datetime && e.type != .nvarchar {
                diagnostics.append(.error("SAQL2044", "TIMESTAMP BY needs a datetime or an ISO-8601 string, not \(e.type)",
                                          at: ts.expr.range))
            }
            e = BoundExpr(e.kind, e.type, ts.expr.range)
            assignment.expr = e
            assignment.overKeys = ts.over.map { bindExpr($0, scope, .forbidden(clause: "TIMESTAMP BY ... OVER")) }
        }
        // Re-read the layout: binding TIMESTAMP BY may have added a field.
        var finalScope = scope
        finalScope.relations[0].schema = layout(of: input).schema
        return (.assignTimestamp(assignment, input: scan), finalScope)
    }

    /// Binds a boolean condition.
    mutating func bindPredicate(_ e: Expr, _ scope: Scope, clause: String, mode: AggregateMode? = nil) -> BoundExpr {
        let bound = bindExpr(e, scope, mode ?? .forbidden(clause: clause))
        if bound.type != .any && bound.type != .bit {
            diagnostics.append(.error("SAQL2011", "\(clause) needs a condition, but this expression is \(bound.type)",
                                      at: e.range, helps: [.init("a condition compares values, e.g. Temperature > 80")]))
        }
        return bound
    }

    /// Binds the select list into projection items and the resulting schema.
    mutating func bindSelectItems(_ items: [SelectItem], scope: Scope, mode: AggregateMode) -> ([ProjectItem], Schema) {
        var out: [ProjectItem] = []
        var origins: [String] = []
        for (position, item) in items.enumerated() {
            switch item {
            case .star(let range):
                if case .grouped = mode {
                    diagnostics.append(.error("SAQL2050", "column '*' cannot be used in SELECT when GROUP BY is present",
                                              at: range, notes: [.init("only aggregates and GROUP BY expressions may be selected")]))
                    continue
                }
                for relation in scope.relations {
                    out += expandStar(relation)
                    origins += relation.schema.origins
                }
            case .qualifiedStar(let base, let range):
                if case .grouped = mode {
                    diagnostics.append(.error("SAQL2050", "'.*' cannot be used in SELECT when GROUP BY is present", at: range))
                    continue
                }
                if case .identifier(let n) = base.kind,
                   let relation = scope.relations.first(where: { $0.alias.caseInsensitiveEquals(n.text) }) {
                    out += expandStar(relation)
                    origins += relation.schema.origins
                } else {
                    let record = bindExpr(base, scope, mode)
                    if record.type != .any && !record.type.isRecord {
                        diagnostics.append(.error("SAQL2051", "'.*' needs a record, but '\(sourceText(base))' is \(record.type)",
                                                  at: base.range))
                    }
                    out.append(.splice(record))
                }
            case .expr(let e, let alias):
                let bound = bindExpr(e, scope, mode)
                let name = alias?.text ?? defaultName(e, position: position)
                out.append(.expr(name: name, bound, hidden: false))
                if case .grouped(let ctx) = mode, let alias { ctx.selectAliases[alias.text.lowercased()] = bound }
            }
        }
        let schema = Schema(columns: out.map { item in
            switch item {
            case .expr(let n, let e, let hidden): return Column(name: n, type: e.type, hidden: hidden)
            case .splice(let e): return Column(name: "*", type: e.type, splice: true)
            }
        }, origins: origins)
        return (out, schema)
    }

    /// `*` over one relation: its visible columns, or, for a schemaless relation, a splice of the
    /// event record followed by the named columns, passed along hidden so later steps can read them.
    mutating func expandStar(_ relation: Scope.Relation) -> [ProjectItem] {
        let schemaless = relation.input.map { header.table(named: $0) == nil } ?? relation.schema.isOpen
        let schema = relation.input.map { layout(of: $0).schema } ?? relation.schema
        guard schemaless else {
            return schema.columns.enumerated().compactMap { i, col in
                col.hidden || col.splice ? nil : .expr(name: col.name, BoundExpr(.column(relation.offset + i), col.type), hidden: false)
            }
        }
        if let input = relation.input { recordWanted.insert(input) } else { wantRecord(of: schema) }
        return schema.columns.enumerated().map { i, col in
            let e = BoundExpr(.column(relation.offset + i), col.type)
            return col.splice ? .splice(e) : .expr(name: col.name, e, hidden: true)
        }
    }

    /// The output name of an unaliased select expression: a column's own name, else the function's name.
    func defaultName(_ e: Expr, position: Int) -> String {
        switch e.kind {
        case .identifier(let n): return n.text
        case .member(_, let n): return n.text
        case .call(let c): return c.baseName.lowercased()
        default: return "Column\(position + 1)"
        }
    }

    func sourceText(_ e: Expr) -> String {
        let bytes = Array(scriptText.utf8)
        guard !e.range.isUnknown, Int(e.range.end) <= bytes.count else { return "..." }
        return String(decoding: bytes[Int(e.range.start)..<Int(e.range.end)], as: UTF8.self)
    }
}
