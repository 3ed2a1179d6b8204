import SAQLParser

extension Binder {
    /// Binds one SELECT block to a plan and its output schema.
    mutating func bindSelect(_ core: SelectCore) -> (LogicalPlan, Schema) {
        guard let from = core.from else {
            // A SELECT with nothing in it was already reported by the parser.
            if core.items.isEmpty { return (.union([]), Schema(columns: [])) }
            diagnostics.append(.error("SAQL2002", "SELECT needs a FROM clause", at: core.range,
                                      helps: [.init("every SAQL query reads from an input or a step: add FROM <input>")]))
            return (.union([]), Schema(columns: []))
        }
        let savedAnalytics = analyticColumns
        defer { analyticColumns = savedAnalytics }
        analyticColumns = [:]
        var (plan, scope) = bindFrom(from, analytics: analyticCalls(in: core))
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
        var named: [String: SourceRange] = [:]
        var origins: [String] = []
        for (position, item) in items.enumerated() {
            switch item {
            case .star(let range):
                if case .grouped = mode {
                    diagnostics.append(.error("SAQL2050", "column '*' cannot be used in SELECT when GROUP BY is present",
                                              at: range, notes: [.init("only aggregates and GROUP BY expressions may be selected")]))
                    continue
                }
                if scope.relations.dropFirst().contains(where: { $0.timeColumn != nil }) {
                    diagnostics.append(.error("SAQL2117", "SELECT * cannot be used in a JOIN between streams", at: range,
                                              helps: [.init("name the columns, or select one source's columns with '\(scope.relations[0].alias).*'")]))
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
                if let previous = named[name.lowercased()] {
                    diagnostics.append(.warning("SAQL2024", "column '\(name)' is selected twice; the output keeps the first",
                                                at: alias?.range ?? e.range, notes: [.init("first selected here", at: previous)],
                                                helps: [.init("give each column its own name with AS")]))
                } else {
                    named[name.lowercased()] = alias?.range ?? e.range
                }
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
