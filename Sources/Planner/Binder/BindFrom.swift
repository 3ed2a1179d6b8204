import SAQLParser

/// FROM: a source (an input or a step), then joins and applies in written order. Each builds on the
/// row so far: a join appends the right source's columns, an apply two columns.
extension Binder {
    /// Binds FROM. The SELECT's analytic calls are computed over the first source's events, before
    /// any join or apply, as ASA specifies.
    mutating func bindFrom(_ from: FromClause, analytics: [FunctionCall]) -> (LogicalPlan, Scope) {
        let joins = from.tail.contains { if case .join = $0 { return true } else { return false } }
        guard let (firstPlan, first) = bindSource(from.source, inJoin: joins) else {
            return (.union([]), Scope(relations: [.init(alias: from.source.referenceName.text, schema: Schema(columns: []), offset: 0,
                                                           poisoned: true)]))
        }
        if first.isReference {
            diagnostics.append(.error("SAQL2042", "reference input '\(from.source.name.text)' can only be read through a JOIN, on its right side",
                                      at: from.source.name.range,
                                      helps: [.init("read the stream first: FROM stream JOIN \(from.source.name.text) ON ...")]))
        }
        var scope = Scope(relations: [first])
        var plan = bindAnalytics(analytics, plan: firstPlan, scope: &scope)
        var slack = TimeSpan.zero
        for tail in from.tail {
            switch tail {
            case .apply(let a): (plan, scope) = bindApply(a, plan, scope)
            case .join(let j): (plan, scope) = bindJoin(j, plan, scope, slack: &slack)
            }
        }
        return (plan, scope)
    }

    /// One FROM or JOIN source. In a join, a stream source carries its own event time as a hidden
    /// column, for DATEDIFF(unit, a, b) and the join's time bound.
    mutating func bindSource(_ source: TableSource, inJoin: Bool) -> (LogicalPlan, Scope.Relation)? {
        if let pb = source.partitionBy, let first = pb.first {
            let range = pb.dropFirst().reduce(first.range) { $0.union($1.range) }
            let endpoint = header.input(named: source.name.text)?.endpoint
            if endpoint?.stateTopic != nil {
                // Each partition runs on its own: ASA's PARTITION BY PartitionId.
            } else if endpoint?.partitionedTopic != nil {
                diagnostics.append(.warning("SAQL2040", "PARTITION BY in FROM is accepted: time is tracked per Kafka partition either way, but groups are not split by partition",
                                            at: range, helps: [.init("key the topic by the GROUP BY key (each key in one partition) for ASA's partitioned result")]))
            } else {
                diagnostics.append(.warning("SAQL2040", "PARTITION BY in FROM is accepted and ignored: a local run has one partition",
                                            at: range))
            }
        }
        let alias = source.referenceName.text
        var plan: LogicalPlan
        var relation: Scope.Relation
        if let cte = ctes[source.name.text.lowercased()] {
            usedSteps.insert(cte.name.text.lowercased())
            let (stepPlan, schema) = bindStep(cte)
            plan = stepPlan
            relation = Scope.Relation(alias: alias, schema: schema, offset: 0, width: schema.columns.count)
            if let ts = source.timestampBy {
                // Re-timestamps the step's rows: their time so far counts as their arrival.
                var assignment = timestampAssignment(ts, Scope(relations: [relation]))
                assignment.step = cte.name.text
                plan = .assignTimestamp(assignment, input: stepPlan)
            }
        } else {
            guard let input = inputName(source.name) else { return nil }
            if header.input(named: input)?.kind == .reference {
                if let ts = source.timestampBy {
                    diagnostics.append(.error("SAQL2111", "reference data has no event time: TIMESTAMP BY does not apply", at: ts.range))
                }
                let schema = layout(of: input).schema
                return (.scan(input: input), Scope.Relation(alias: alias, schema: schema, offset: 0, input: input,
                                                            width: schema.columns.count, isReference: true))
            }
            let scope = Scope(relations: [.init(alias: alias, schema: layout(of: input).schema, offset: 0, input: input)])
            let assignment = source.timestampBy.map { timestampAssignment($0, scope) } ?? TimestampAssignment(expr: nil, settings: header.settings)
            plan = .assignTimestamp(assignment, input: .scan(input: input))
            // Re-read the layout: binding TIMESTAMP BY may have added a field.
            let schema = layout(of: input).schema
            relation = Scope.Relation(alias: alias, schema: schema, offset: 0, input: input, width: schema.columns.count)
        }
        if let mr = source.matchRecognize {
            (plan, relation) = bindMatchRecognize(mr, plan: plan, relation: relation)
        }
        if inJoin {
            // Pass every column through and add the event time (hidden) for time bounds.
            let schema = relation.input.map { layout(of: $0).schema } ?? relation.schema
            // Names are qualified by the source alias, for EXPLAIN (columns resolve through the scope).
            var items: [ProjectItem] = schema.columns.enumerated().map { i, c in
                let e = BoundExpr(.column(i), c.type)
                return c.splice ? .splice(e) : .expr(name: "\(relation.alias).\(c.name)", e, hidden: c.hidden)
            }
            items.append(.expr(name: "\(relation.alias).$time", BoundExpr(.systemTimestamp, .datetime), hidden: true))
            plan = .project(items, input: plan)
            relation.timeColumn = schema.columns.count
            relation.width = schema.columns.count + 1
            relation.schema.columns.append(Column(name: "$time", type: .datetime, hidden: true))
        }
        return (plan, relation)
    }

    mutating func bindApply(_ a: ApplyClause, _ plan: LogicalPlan, _ scope: Scope) -> (LogicalPlan, Scope) {
        var scope = scope
        let alias = a.alias?.text ?? "apply"
        guard case .call(let call) = a.function.kind, call.name.count == 1,
              let function = ApplyOperation.Function(rawValue: call.baseName.uppercased() == "GETARRAYELEMENTS" ? "GetArrayElements"
                                                     : call.baseName.uppercased() == "GETRECORDPROPERTIES" ? "GetRecordProperties" : ""),
              call.arguments.count == 1 else {
            diagnostics.append(.error("SAQL2112", "APPLY takes GetArrayElements(expr) or GetRecordProperties(expr)", at: a.function.range))
            return (plan, scope)
        }
        let arg = bindExpr(call.arguments[0], scope, .forbidden(clause: "APPLY"))
        if function == .arrayElements && arg.type != .any && arg.type != .array || function == .recordProperties && arg.type != .any && !arg.type.isRecord {
            diagnostics.append(.error("SAQL2113", "\(function.rawValue) needs \(function == .arrayElements ? "an array" : "a record"), not \(arg.type)",
                                      at: call.arguments[0].range))
        }
        let offset = scope.width
        scope.relations.append(.init(alias: alias, schema: Schema(columns: function.columns.map { Column(name: $0, type: .any) }),
                                     offset: offset, width: 2))
        return (.apply(ApplyOperation(outer: a.kind == .outer, function: function, argument: arg, alias: alias), input: plan), scope)
    }

    mutating func bindJoin(_ j: JoinClause, _ left: LogicalPlan, _ leftScope: Scope, slack: inout TimeSpan) -> (LogicalPlan, Scope) {
        guard let (rightPlan, right) = bindSource(j.source, inJoin: true) else {
            var scope = leftScope
            scope.relations.append(.init(alias: j.source.referenceName.text, schema: Schema(columns: []), offset: scope.width, poisoned: true))
            return (left, scope)
        }
        let leftWidth = leftScope.width
        var rightRelation = right
        rightRelation.offset = leftWidth
        if right.isReference {
            // A reference input has no time column; its layout is its row.
            rightRelation.width = layout(of: right.input ?? "").schema.columns.count
        }
        let duplicate = leftScope.relations.first { $0.alias.caseInsensitiveEquals(rightRelation.alias) }
        var scope = leftScope
        if duplicate != nil {
            diagnostics.append(.error("SAQL2114", "'\(rightRelation.alias)' names two sources of this FROM", at: j.source.range,
                                      helps: [.init("give one of them an alias: JOIN \(j.source.name.text) AS other ON ...")]))
            rightRelation.poisoned = true
            scope.relations.append(rightRelation)
            return (left, scope)
        }
        scope.relations.append(rightRelation)
        let on = bindPredicate(j.on, scope, clause: "ON")
        var conjuncts: [BoundExpr] = []
        if case .and(let list) = on.kind { conjuncts = list } else { conjuncts = [on] }
        // The time bound: DATEDIFF conjuncts between the right source and one left source, which the
        // join checks itself (exactly, as DATEDIFF would).
        let rightTime = right.timeColumn.map { leftWidth + $0 }
        let bound = rightTime.flatMap { timeBound(conjuncts, leftTimes: leftScope.relations.compactMap { r in r.timeColumn.map { r.offset + $0 } },
                                                  rightTime: $0) }
        if let bound { conjuncts = conjuncts.enumerated().filter { !bound.used.contains($0.offset) }.map(\.element) }
        // Equalities between the two sides become hash keys; the rest is checked per candidate pair.
        var leftKeys: [BoundExpr] = [], rightKeys: [BoundExpr] = [], residual: [BoundExpr] = []
        let rightRange = leftWidth..<(leftWidth + rightRelation.width)
        func side(_ e: BoundExpr) -> Int? {
            let cols = e.columnsRead
            guard !cols.isEmpty, !containsSystemTimestamp(e) else { return nil }
            if cols.allSatisfy({ $0 < leftWidth }) { return 0 }
            if cols.allSatisfy({ rightRange.contains($0) }) { return 1 }
            return nil
        }
        for c in conjuncts {
            if case .binary(.equal, let a, let b) = c.kind, let sa = side(a), let sb = side(b), sa != sb {
                let (l, r) = comparableKeys(sa == 0 ? (a, b) : (b, a))
                leftKeys.append(l)
                rightKeys.append(r.remapColumns { BoundExpr(.column($0 - leftWidth), .any) })
            } else {
                residual.append(c)
            }
        }
        let residualExpr: BoundExpr? = residual.isEmpty ? nil : residual.count == 1 ? residual[0] : BoundExpr(.and(residual), .bit, on.range)
        let kind: JoinOperation.Kind = j.kind == .left ? .left : .inner
        if right.isReference {
            let op = JoinOperation(kind: kind, leftWidth: leftWidth, leftKeys: leftKeys, rightKeys: rightKeys, residual: residualExpr, time: nil)
            return (.referenceJoin(op, input: left, reference: right.input ?? "", alias: rightRelation.alias), scope)
        }
        guard let bound else {
            diagnostics.append(.error("SAQL2110", "the join predicate is not time bounded", at: j.on.range,
                                      notes: [.init("a JOIN between data streams needs the largest time distance between matching events")],
                                      helps: [.init("add DATEDIFF to the ON clause, e.g. ... AND DATEDIFF(minute, \(leftScope.relations.last?.alias ?? "a"), \(rightRelation.alias)) BETWEEN 0 AND 10"),
                                              .init("if '\(j.source.name.text)' is reference data, declare it with CREATE REFERENCE INPUT")]))
            return (left, scope)
        }
        if bound.low > bound.high {
            diagnostics.append(.warning("SAQL2116", "the join's time bound is empty (DATEDIFF from \(bound.low) to \(bound.high)): it matches nothing",
                                        at: j.on.range))
        }
        // Compared in units, not ticks: bounds are any bigint literal, and their ticks could overflow.
        // DATEDIFF counts 100 nanoseconds per tick.
        let unitsIn7Days = bound.unit == .nanosecond ? 7 * Timestamp.ticksPerDay * 100 : bound.unit.fixedTicks.map { 7 * Timestamp.ticksPerDay / $0 } ?? .max
        guard (-unitsIn7Days...unitsIn7Days).contains(bound.low), (-unitsIn7Days...unitsIn7Days).contains(bound.high) else {
            diagnostics.append(.error("SAQL2118", "a join's time bound can span at most 7 days", at: j.on.range,
                                      helps: [.init("narrow the DATEDIFF range, or join with reference data instead")]))
            return (left, scope)
        }
        let time = JoinTimeBound(unit: bound.unit, low: bound.low, high: bound.high, leftTimeColumn: bound.leftTime,
                                 rightTimeColumn: right.timeColumn ?? 0, leftSlack: slack)
        // A joined row's time is the latest of its sources' times, at most this far past any one of them.
        slack = TimeSpan(ticks: slack.ticks + max(time.maxAhead, -time.minBehind))
        let op = JoinOperation(kind: kind, leftWidth: leftWidth, leftKeys: leftKeys, rightKeys: rightKeys, residual: residualExpr, time: time)
        return (.join(op, left: left, right: rightPlan), scope)
    }

    /// Hash keys match by value within a type family, while `=` converts a string to the other
    /// side's type. When one side is known to be a datetime or a number, the other side's key is
    /// converted the same way (a failed conversion is NULL: no match, as `=` would say).
    func comparableKeys(_ pair: (BoundExpr, BoundExpr)) -> (BoundExpr, BoundExpr) {
        func converted(_ e: BoundExpr, to other: BoundExpr) -> BoundExpr {
            if other.type == .datetime && e.type != .datetime { return BoundExpr(.cast(e, .datetime, isTry: true), .datetime, e.range) }
            if other.type.isNumeric && !e.type.isNumeric && e.type != .datetime {
                return BoundExpr(.cast(e, .float, isTry: true), .float, e.range)
            }
            return e
        }
        return (converted(pair.0, to: pair.1), converted(pair.1, to: pair.0))
    }

    /// The time bound in the ON clause's conjuncts: every `DATEDIFF(unit, l, r)` (or `(unit, r, l)`)
    /// compared with integer constants (BETWEEN, =, <, <=, >, >=), where `r` is the right source's
    /// time and `l` one left source's, intersected per (left source, unit) and normalized to
    /// `DATEDIFF(unit, l, r) ∈ [low, high]`. The first pair bounded at both ends wins; `used` lists
    /// the conjuncts it stands for. `nil` when no pair is bounded at both ends.
    func timeBound(_ conjuncts: [BoundExpr], leftTimes: [Int], rightTime: Int)
        -> (unit: DatePart, low: Int64, high: Int64, leftTime: Int, used: Set<Int>)? {
        struct Bound { var leftTime: Int; var unit: DatePart; var low: Int64?; var high: Int64?; var used: Set<Int> = [] }
        var bounds: [Bound] = []
        /// The left time column a DATEDIFF bound names, and +1 when it runs left → right, -1 when right → left.
        func direction(_ e: BoundExpr) -> (leftTime: Int, unit: DatePart, sign: Int64)? {
            guard case .call(let f, let args) = e.kind, f.name == "DATEDIFF", let unit = f.datePart, unit.fixedTicks != nil, args.count == 2,
                  case .column(let a) = args[0].kind, case .column(let b) = args[1].kind else { return nil }
            if leftTimes.contains(a) && b == rightTime { return (a, unit, 1) }
            if a == rightTime && leftTimes.contains(b) { return (b, unit, -1) }
            return nil
        }
        func integer(_ e: BoundExpr) -> Int64? { if case .literal(.bigint(let n)) = e.kind { return n } else { return nil } }
        func tighten(_ i: Int, _ d: (leftTime: Int, unit: DatePart, sign: Int64), _ lo: Int64?, _ hi: Int64?) {
            // Bounds on sign * DATEDIFF(left, right).
            let (l, h) = d.sign == 1 ? (lo, hi) : (hi.map { -$0 }, lo.map { -$0 })
            let k = bounds.firstIndex { $0.leftTime == d.leftTime && $0.unit == d.unit } ?? {
                bounds.append(Bound(leftTime: d.leftTime, unit: d.unit))
                return bounds.count - 1
            }()
            if let l { bounds[k].low = max(bounds[k].low ?? l, l) }
            if let h { bounds[k].high = min(bounds[k].high ?? h, h) }
            bounds[k].used.insert(i)
        }
        for (i, c) in conjuncts.enumerated() {
            switch c.kind {
            case .between(let x, let lo, let hi, false):
                if let d = direction(x), let l = integer(lo), let h = integer(hi) { tighten(i, d, l, h) }
            case .binary(let op, let a, let b):
                // Put the DATEDIFF on the left of the comparison.
                let flipped = direction(a) == nil
                guard let d = direction(flipped ? b : a), let n = integer(flipped ? a : b) else { continue }
                switch (op, flipped) {
                case (.equal, _): tighten(i, d, n, n)
                case (.less, false), (.greater, true): tighten(i, d, nil, n - 1)
                case (.lessEqual, false), (.greaterEqual, true): tighten(i, d, nil, n)
                case (.greater, false), (.less, true): tighten(i, d, n + 1, nil)
                case (.greaterEqual, false), (.lessEqual, true): tighten(i, d, n, nil)
                default: continue
                }
            default:
                continue
            }
        }
        for b in bounds {
            guard let low = b.low, let high = b.high else { continue }
            return (b.unit, low, high, b.leftTime, b.used)
        }
        return nil
    }

    /// Binds `TIMESTAMP BY expr [OVER keys]` over the rows of `scope`.
    mutating func timestampAssignment(_ ts: TimestampBy, _ scope: Scope) -> TimestampAssignment {
        var e = bindExpr(ts.expr, scope, .forbidden(clause: "TIMESTAMP BY"))
        if containsSystemTimestamp(e) {
            diagnostics.append(.error("SAQL2043", "System.Timestamp() cannot be used in TIMESTAMP BY", at: ts.expr.range))
        }
        if e.type != .any && e.type != .datetime && e.type != .nvarchar {
            diagnostics.append(.error("SAQL2044", "TIMESTAMP BY needs a datetime or an ISO-8601 string, not \(e.type)",
                                      at: ts.expr.range))
        }
        e = BoundExpr(e.kind, e.type, ts.expr.range)
        return TimestampAssignment(expr: e, overKeys: ts.over.map { bindExpr($0, scope, .forbidden(clause: "TIMESTAMP BY ... OVER")) },
                                   settings: header.settings)
    }
}
