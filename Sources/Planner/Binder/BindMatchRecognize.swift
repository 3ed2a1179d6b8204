import SAQLParser

/// The match slots found while binding MATCH_RECOGNIZE's MEASURES.
final class MeasureContext {
    let variables: [String]
    var slots: [MatchSlot] = []
    /// In a DEFINE condition: the variable being defined (its columns are the candidate event's).
    let defining: Int?

    init(variables: [String], defining: Int? = nil) {
        self.variables = variables
        self.defining = defining
    }

    func index(of name: String) -> Int? { variables.firstIndex { $0.caseInsensitiveEquals(name) } }

    /// The slot's column in the row of slot values, added on first use.
    func column(for slot: MatchSlot) -> Int {
        if let i = slots.firstIndex(of: slot) { return i }
        slots.append(slot)
        return slots.count - 1
    }
}

extension Binder {
    /// Binds `source MATCH_RECOGNIZE (...)`: the relation becomes the measures, one row per match.
    mutating func bindMatchRecognize(_ mr: MatchRecognizeClause, plan: LogicalPlan,
                                     relation: Scope.Relation) -> (LogicalPlan, Scope.Relation) {
        // Variables: DEFINEd ones in order, then those the pattern names without a definition
        // (any event qualifies for them).
        var variables: [String] = []
        for d in mr.definitions {
            if variables.contains(where: { $0.caseInsensitiveEquals(d.name.text) }) {
                diagnostics.append(.error("SAQL2150", "pattern variable '\(d.name.text)' is defined twice", at: d.name.range))
            } else {
                variables.append(d.name.text)
            }
        }
        var used: [Name] = []
        Self.patternNames(mr.pattern, into: &used)
        for n in used where !variables.contains(where: { $0.caseInsensitiveEquals(n.text) }) { variables.append(n.text) }
        for d in mr.definitions where !used.contains(where: { $0.text.caseInsensitiveEquals(d.name.text) }) {
            diagnostics.append(.warning("SAQL2151", "pattern variable '\(d.name.text)' is defined but not used in PATTERN",
                                        at: d.name.range))
        }
        let own = Scope(relations: [relation])
        let partitionBy = mr.partitionBy.map { bindExpr($0, own, .forbidden(clause: "PARTITION BY")) }
        var duration: TimeSpan?
        if let spec = mr.limitDuration {
            duration = durationOf(spec)
        } else {
            diagnostics.append(.error("SAQL2152", "MATCH_RECOGNIZE needs LIMIT DURATION (how long a match may last)", at: mr.keyword,
                                      helps: [.init("add LIMIT DURATION(minute, 1), say, before PARTITION BY")]))
        }
        func variableRelation(_ name: String) -> Scope.Relation {
            var r = relation
            r.alias = name
            r.qualifiedOnly = true
            return r
        }
        var definitions: [BoundExpr?] = Array(repeating: nil, count: variables.count)
        var matchConditions: [MatchCondition?] = Array(repeating: nil, count: variables.count)
        let eventScope = Scope(relations: [relation] + variables.map(variableRelation))
        var defined = Set<Int>()
        for d in mr.definitions {
            guard let i = variables.firstIndex(where: { $0.caseInsensitiveEquals(d.name.text) }), defined.insert(i).inserted else { continue }
            var readsOthers = false
            d.condition.visit { e in
                if case .member(let base, _) = e.kind, case .identifier(let b) = base.kind, !b.text.caseInsensitiveEquals(d.name.text),
                   variables.contains(where: { $0.caseInsensitiveEquals(b.text) }) { readsOthers = true }
                if case .call(let c) = e.kind, ["FIRST", "LAST"].contains(c.baseName.uppercased()) || aggregate(named: c.baseName) != nil {
                    readsOthers = true
                }
            }
            let condition: BoundExpr
            if readsOthers {
                // Over slots: the candidate event's columns and what the partial match bound so far.
                let ctx = MeasureContext(variables: variables, defining: i)
                condition = bindExpr(d.condition, eventScope, .measures(ctx))
                matchConditions[i] = MatchCondition(slots: ctx.slots, condition: condition)
            } else {
                condition = bindExpr(d.condition, Scope(relations: [relation, variableRelation(d.name.text)]), .forbidden(clause: "DEFINE"))
                definitions[i] = condition
            }
            if condition.type != .bit && condition.type != .any {
                diagnostics.append(.error("SAQL2154", "DEFINE needs a condition, not \(condition.type)", at: d.condition.range))
            }
        }
        let ctx = MeasureContext(variables: variables)
        var measures: [MatchMeasure] = []
        for m in mr.measures {
            if measures.contains(where: { $0.name.caseInsensitiveEquals(m.alias.text) }) {
                diagnostics.append(.error("SAQL2024", "measure '\(m.alias.text)' is named twice", at: m.alias.range))
                continue
            }
            measures.append(MatchMeasure(name: m.alias.text, expr: bindExpr(m.expr, eventScope, .measures(ctx))))
        }
        var pattern = mr.pattern
        if Self.programSize(pattern) > Self.maxProgramSize {
            diagnostics.append(.error("SAQL2155", "the pattern is too large: its repetitions expand to more than \(Self.maxProgramSize) steps",
                                      at: pattern.range ?? mr.keyword, helps: [.init("use an unbounded quantifier (A+, A*, A{2,}) instead of a large count")]))
            pattern = .sequence([])
        }
        let program = RowPatternProgram.compile(pattern, variables: variables)
        let spec = MatchRecognize(partitionBy: partitionBy, duration: duration, variables: variables, definitions: definitions,
                                  matchConditions: matchConditions, pattern: program, slots: ctx.slots, measures: measures, patternText: Self.describe(mr.pattern))
        let schema = Schema(columns: measures.map { Column(name: $0.name, type: $0.expr.type) })
        let alias = mr.alias?.text ?? relation.alias
        return (.matchRecognize(spec, input: plan), Scope.Relation(alias: alias, schema: schema, offset: 0, width: measures.count))
    }

    /// A measure's FIRST/LAST, aggregate or column read, as a column of the row of slot values.
    mutating func bindMeasureLeaf(_ e: Expr, _ scope: Scope, _ ctx: MeasureContext) -> BoundExpr? {
        let forbidden = AggregateMode.forbidden(clause: "a measure's argument")
        switch e.kind {
        case .call(let c) where c.name.count == 1 && c.over == nil:
            let upper = c.baseName.uppercased()
            if upper == "CLASSIFIER" {
                if !c.arguments.isEmpty {
                    diagnostics.append(.error("SAQL2012", "'CLASSIFIER' takes no arguments, got \(c.arguments.count)", at: c.nameRange,
                                              helps: [.init("it names the variable the match's last row was mapped to: write Classifier()",
                                                            replacing: e.range, with: "Classifier()")]))
                }
                let slot = MatchSlot(pick: .classifier, variable: nil, value: nil, type: .nvarchar)
                return BoundExpr(.column(ctx.column(for: slot)), .nvarchar, e.range)
            }
            if upper == "FIRST" || upper == "LAST" {
                guard c.arguments.count == 1 else {
                    diagnostics.append(.error("SAQL2012", "'\(upper)' takes one argument, got \(c.arguments.count)", at: c.nameRange))
                    return .literal(.null, e.range)
                }
                guard let variable = measureVariable([c.arguments[0]], ctx) else { return .literal(.null, e.range) }
                let value = bindExpr(c.arguments[0], scope, forbidden)
                let slot = MatchSlot(pick: upper == "FIRST" ? .first : .last, variable: variable, value: value, type: value.type)
                return BoundExpr(.column(ctx.column(for: slot)), value.type, e.range)
            }
            guard let function = aggregate(named: c.baseName) else { return nil }
            guard let variable = measureVariable(c.arguments, ctx) else { return .literal(.null, e.range) }
            guard let call = bindAggregateCall(function, c, scope) else { return .literal(.null, e.range) }
            let slot = MatchSlot(pick: .aggregate(call), variable: variable, value: nil, type: call.resultType)
            return BoundExpr(.column(ctx.column(for: slot)), call.resultType, e.range)
        case .member(let base, _):
            guard case .identifier(let b) = base.kind else { return nil }
            guard let variable = ctx.index(of: b.text) else {
                // `source.col`: as a bare column.
                guard scope.relations.first?.alias.caseInsensitiveEquals(b.text) == true else { return nil }
                let value = bindExpr(e, scope, forbidden)
                let slot = MatchSlot(pick: ctx.defining == nil ? .last : .current, variable: nil, value: value, type: value.type)
                return BoundExpr(.column(ctx.column(for: slot)), value.type, e.range)
            }
            let value = bindExpr(e, scope, forbidden)
            // In DEFINE, the defined variable's columns are the candidate event's.
            let slot = variable == ctx.defining ? MatchSlot(pick: .current, variable: nil, value: value, type: value.type)
                : MatchSlot(pick: .last, variable: variable, value: value, type: value.type)
            return BoundExpr(.column(ctx.column(for: slot)), value.type, e.range)
        case .identifier(let n) where n.quoting != .doubleQuotes:
            // A bare column: the match's last event in MEASURES, the candidate event in DEFINE.
            let value = bindExpr(e, scope, forbidden)
            let slot = MatchSlot(pick: ctx.defining == nil ? .last : .current, variable: nil, value: value, type: value.type)
            return BoundExpr(.column(ctx.column(for: slot)), value.type, e.range)
        default:
            return nil
        }
    }

    /// The one pattern variable `exprs` read (`.some(nil)`: none, so every event of the match);
    /// `nil` after reporting that they read several.
    private mutating func measureVariable(_ exprs: [Expr], _ ctx: MeasureContext) -> Int?? {
        var found: [Int] = []
        for e in exprs {
            e.visit { x in
                if case .member(let base, _) = x.kind, case .identifier(let b) = base.kind, let i = ctx.index(of: b.text),
                   !found.contains(i) { found.append(i) }
            }
        }
        if found.count > 1, let first = exprs.first, let last = exprs.last {
            diagnostics.append(.error("SAQL2153", "a measure's FIRST, LAST or aggregate reads one pattern variable, not "
                + found.map { ctx.variables[$0] }.joined(separator: " and "), at: first.range.union(last.range)))
            return nil
        }
        return .some(found.first)
    }

    /// The most steps a compiled pattern may have: `{n,m}` copies its pattern m times, and a
    /// quantifier as large as `A{2147483647}` must be an error, not gigabytes of program.
    static let maxProgramSize = 10_000

    /// The number of steps the pattern compiles to, saturating (nested counts multiply).
    static func programSize(_ p: RowPattern) -> Int {
        switch p {
        case .variable, .any: return 1
        case .sequence(let items), .alternation(let items):
            return items.reduce(1) { total, item in
                let (n, o) = total.addingReportingOverflow(programSize(item))
                return o ? .max : n
            }
        case .quantified(let inner, let min, let max, _):
            let copies = Swift.max(min, max ?? min) + 1
            let (n, o) = programSize(inner).multipliedReportingOverflow(by: copies)
            return o ? .max : n
        }
    }

    static func patternNames(_ p: RowPattern, into out: inout [Name]) {
        switch p {
        case .variable(let n): if !out.contains(where: { $0.text.caseInsensitiveEquals(n.text) }) { out.append(n) }
        case .any: break
        case .sequence(let items), .alternation(let items): for i in items { patternNames(i, into: &out) }
        case .quantified(let inner, _, _, _): patternNames(inner, into: &out)
        }
    }

    /// The pattern in canonical text, for EXPLAIN.
    static func describe(_ p: RowPattern) -> String {
        switch p {
        case .variable(let n): return n.text
        case .any: return "."
        case .sequence(let items): return items.map { describeAtom($0) }.joined(separator: " ")
        case .alternation(let items): return items.map(describe).joined(separator: " | ")
        case .quantified(let inner, let min, let max, _):
            let q: String
            switch (min, max) {
            case (0, nil): q = "*"
            case (1, nil): q = "+"
            case (0, 1?): q = "?"
            case (let n, nil): q = "{\(n),}"
            case (let n, let m?) where n == m: q = "{\(n)}"
            case (let n, let m?): q = "{\(n),\(m)}"
            }
            return describeAtom(inner) + q
        }
    }

    private static func describeAtom(_ p: RowPattern) -> String {
        switch p {
        case .sequence, .alternation: return "(\(describe(p)))"
        default: return describe(p)
        }
    }
}
