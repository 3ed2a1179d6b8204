import SAQLParser

/// Analytic functions: ASA evaluates them over every input event of the step, before WHERE, JOIN
/// and GROUP BY. The binder finds them in a SELECT, binds them against the FROM rows, and puts an
/// `analytic` node right above FROM; the SELECT's expressions then read their result columns.
extension Binder {
    /// Names that are always analytic.
    static let analyticNames: Set<String> = ["LAG", "LAST", "ISFIRST", "ANOMALYDETECTION_SPIKEANDDIP", "ANOMALYDETECTION_CHANGEPOINT"]

    /// True for LAG/LAST/ISFIRST/anomaly calls and for aggregates with an analytic OVER clause
    /// (PARTITION BY, LIMIT DURATION or WHEN); `OVER (ORDER BY ...)` alone orders a windowed aggregate.
    func isAnalytic(_ call: FunctionCall) -> Bool {
        guard call.name.count == 1 else { return false }
        let upper = call.baseName.uppercased()
        if Self.analyticNames.contains(upper) { return true }
        guard functions.aggregate(named: upper) != nil, let over = call.over else { return false }
        return over.limitDuration != nil || !over.partitionBy.isEmpty || over.when != nil
    }

    /// Every analytic call in a SELECT block, outermost first, in source order.
    func analyticCalls(in core: SelectCore) -> [FunctionCall] {
        var out: [FunctionCall] = []
        func walk(_ e: Expr) {
            switch e.kind {
            case .call(let c):
                if isAnalytic(c) { out.append(c); return }
                c.arguments.forEach(walk)
            case .member(let b, _): walk(b)
            case .unary(_, let x), .cast(let x, _, _), .isNull(let x, _): walk(x)
            case .binary(_, let a, let b), .like(let a, let b, _): walk(a); walk(b)
            case .between(let x, let a, let b, _): walk(x); walk(a); walk(b)
            case .inList(let x, let l, _): walk(x); l.forEach(walk)
            case .caseWhen(let c):
                c.operand.map(walk)
                c.whens.forEach { walk($0.condition); walk($0.result) }
                c.elseResult.map(walk)
            case .identifier, .literal, .star, .missing: break
            }
        }
        for item in core.items { if case .expr(let e, _) = item { walk(e) } }
        core.whereClause.map(walk)
        core.groupBy?.forEach(walk)
        core.having.map(walk)
        return out
    }

    /// Binds the SELECT's analytic calls and wraps `plan` in an analytic node. Afterwards the calls
    /// resolve to their result columns (see `analyticColumns`).
    mutating func bindAnalytics(_ calls: [FunctionCall], plan: LogicalPlan, scope: inout Scope) -> LogicalPlan {
        guard !calls.isEmpty else { return plan }
        // Results go after the row's columns (past a join's hidden event-time column too).
        var base = scope.width
        var bound: [AnalyticCall] = []
        for call in calls {
            if analyticColumns[call.nameRange] != nil { continue }
            guard let a = bindAnalyticCall(call, scope) else {
                failedAnalytics.insert(call.nameRange)
                continue
            }
            // The same call written twice (e.g. in SELECT and GROUP BY) is computed once.
            if let same = bound.firstIndex(of: a) {
                analyticColumns[call.nameRange] = (base - bound.count + same, a.resultType)
                continue
            }
            analyticColumns[call.nameRange] = (base, a.resultType)
            bound.append(a)
            base += 1
        }
        guard !bound.isEmpty else { return plan }
        for (k, a) in bound.enumerated() {
            scope.relations[0].schema.columns.append(Column(name: "$analytic\(k)", type: a.resultType, hidden: true))
        }
        scope.relations[0].width += bound.count
        return .analytic(bound, input: plan)
    }

    /// Binds one analytic call against the FROM rows. `nil` after reporting an error.
    mutating func bindAnalyticCall(_ call: FunctionCall, _ scope: Scope) -> AnalyticCall? {
        let upper = call.baseName.uppercased()
        let args = call.arguments
        let mode = AggregateMode.forbidden(clause: "an analytic function's argument")
        for a in args where containsAnalytic(a) {
            diagnostics.append(.error("SAQL2080", "analytic functions cannot be nested", at: a.range))
            return nil
        }
        let over = call.over
        let partition = over?.partitionBy.map { bindExpr($0, scope, mode) } ?? []
        let when = over?.when.map { bindPredicate($0, scope, clause: "WHEN", mode: mode) }
        var duration: TimeSpan?
        if let spec = over?.limitDuration {
            duration = durationOf(spec)
            if duration == nil { return nil }
        }
        func requireDuration() -> Bool {
            if over?.limitDuration != nil { return true }
            diagnostics.append(.error("SAQL2081", "\(call.baseName) needs OVER (... LIMIT DURATION(unit, n))", at: call.nameRange,
                                      helps: [.init("add OVER (LIMIT DURATION(minute, 5)), with the history the function may look back over")]))
            return false
        }
        func value(_ e: Expr) -> BoundExpr {
            if case .star(nil) = e.kind { return wholeRow(scope, range: e.range) }
            return bindExpr(e, scope, mode)
        }
        switch upper {
        case "LAG", "LAST":
            let isLag = upper == "LAG"
            let maxArgs = isLag ? 3 : 2
            guard (1...maxArgs).contains(args.count) else {
                diagnostics.append(.error("SAQL2012", "'\(upper)' takes 1 to \(maxArgs) arguments, got \(args.count)", at: call.nameRange))
                return nil
            }
            guard requireDuration() else { return nil }
            let v = value(args[0])
            var offset = 1
            if isLag, args.count > 1 {
                guard let n = constantNumber(args[1]) else { return nil }
                guard n >= 1, n == n.rounded(), n < 1_000_000 else {
                    diagnostics.append(.error("SAQL2082", "the LAG offset must be an integer of at least 1", at: args[1].range))
                    return nil
                }
                offset = Int(n)
            }
            let defaultExpr = args.count == maxArgs ? bindExpr(args[maxArgs - 1], scope, mode) : nil
            return AnalyticCall(function: isLag ? .lag(offset: offset) : .last, argument: v, defaultValue: defaultExpr,
                                partitionBy: partition, duration: duration, when: when, resultType: v.type)
        case "ISFIRST":
            guard args.count == 2, let unit = timeUnit(args[0]), let n = constantNumber(args[1]) else {
                if args.count != 2 { diagnostics.append(.error("SAQL2012", "'ISFIRST' takes (unit, n)", at: call.nameRange)) }
                return nil
            }
            if let d = over?.limitDuration {
                diagnostics.append(.error("SAQL2083", "ISFIRST takes no LIMIT DURATION", at: d.range))
                return nil
            }
            guard let interval = span(n, unit, at: args[1].range) else { return nil }
            guard interval.ticks > 0 else {
                diagnostics.append(.error("SAQL2069", "the ISFIRST interval must be positive", at: args[1].range))
                return nil
            }
            return AnalyticCall(function: .isFirst(interval: interval), argument: nil, partitionBy: partition, duration: nil,
                                when: when, resultType: .bigint)
        case "ANOMALYDETECTION_SPIKEANDDIP", "ANOMALYDETECTION_CHANGEPOINT":
            return bindAnomaly(call, scope, partition: partition, duration: duration, when: when)
        default:
            guard requireDuration() else { return nil }
            guard let function = aggregate(named: upper) else { return nil }
            if call.distinct {
                diagnostics.append(.error("SAQL2084", "COUNT(DISTINCT ...) cannot be used with OVER", at: call.nameRange,
                                          helps: [.init("use COUNT(DISTINCT ...) with GROUP BY and a window")]))
                return nil
            }
            if function.definition.arguments == .fraction {
                diagnostics.append(.error("SAQL2085", "\(upper) cannot be used with LIMIT DURATION", at: call.nameRange,
                                          helps: [.init("compute percentiles with GROUP BY and a window")]))
                return nil
            }
            guard let agg = bindAggregateCall(function, call, scope) else { return nil }
            return AnalyticCall(function: .aggregate(agg), argument: nil, partitionBy: partition, duration: duration, when: when,
                                resultType: agg.resultType)
        }
    }

    /// LIMIT DURATION's length.
    mutating func durationOf(_ spec: DurationSpec) -> TimeSpan? {
        guard let part = DatePart(name: spec.unit.text), part.isDurationUnit else {
            diagnostics.append(.error("SAQL2070", "expected a time unit, found '\(spec.unit.text)'", at: spec.unit.range,
                                      helps: [.init("time units are day, hour, minute, second, millisecond and microsecond")]))
            return nil
        }
        guard let n = constantNumber(spec.size) else { return nil }
        guard let d = span(n, part, at: spec.size.range) else { return nil }
        if d.ticks <= 0 {
            diagnostics.append(.error("SAQL2069", "LIMIT DURATION must be positive", at: spec.range))
            return nil
        }
        return d
    }

    func containsAnalytic(_ e: Expr) -> Bool {
        switch e.kind {
        case .call(let c): return isAnalytic(c) || c.arguments.contains(where: containsAnalytic)
        case .member(let b, _): return containsAnalytic(b)
        case .unary(_, let x), .cast(let x, _, _), .isNull(let x, _): return containsAnalytic(x)
        case .binary(_, let a, let b), .like(let a, let b, _): return containsAnalytic(a) || containsAnalytic(b)
        case .between(let x, let a, let b, _): return containsAnalytic(x) || containsAnalytic(a) || containsAnalytic(b)
        case .inList(let x, let l, _): return containsAnalytic(x) || l.contains(where: containsAnalytic)
        case .caseWhen(let c):
            return (c.operand.map(containsAnalytic) ?? false) || (c.elseResult.map(containsAnalytic) ?? false)
                || c.whens.contains { containsAnalytic($0.condition) || containsAnalytic($0.result) }
        case .identifier, .literal, .star, .missing: return false
        }
    }

    /// The whole current row as a record: the event record of a schemaless input, or a record built
    /// from the visible columns of a relation with a known schema.
    mutating func wholeRow(_ scope: Scope, range: SourceRange) -> BoundExpr {
        let relation = scope.relations[0]
        if let input = relation.input, header.table(named: input) == nil {
            recordWanted.insert(input)
            let schema = layout(of: input).schema
            return schema.spliceIndex.map { BoundExpr(.column(relation.offset + $0), .anyRecord, range) } ?? .literal(.null, range)
        }
        var names: [String] = [], values: [BoundExpr] = []
        let schema = relation.input.map { layout(of: $0).schema } ?? relation.schema
        for (i, c) in schema.columns.enumerated() where !c.hidden {
            if c.splice {
                wantRecord(of: schema)
                return BoundExpr(.column(relation.offset + i), .anyRecord, range)
            }
            names.append(c.name)
            values.append(BoundExpr(.column(relation.offset + i), c.type))
        }
        return BoundExpr(.makeRecord(names: names, values: values), .anyRecord, range)
    }

    /// A time unit written as a bare identifier (`minute`, `mi`, ...).
    mutating func timeUnit(_ e: Expr) -> DatePart? {
        guard case .identifier(let n) = e.kind, let part = DatePart(name: n.text), part.isDurationUnit else {
            diagnostics.append(.error("SAQL2070", "expected a time unit, found '\(sourceText(e))'", at: e.range,
                                      helps: [.init("time units are day, hour, minute, second, millisecond and microsecond")]))
            return nil
        }
        return part
    }

    /// Anomaly detection calls are recognized and type-checked; their evaluation lands with the anomaly issue.
    /// `AnomalyDetection_SpikeAndDip(expr, confidence, historySize, mode)` and
    /// `AnomalyDetection_ChangePoint(expr, confidence, historySize)`, with their documented limits.
    mutating func bindAnomaly(_ call: FunctionCall, _ scope: Scope, partition: [BoundExpr], duration: TimeSpan?,
                              when: BoundExpr?) -> AnalyticCall? {
        let spike = call.baseName.uppercased() == "ANOMALYDETECTION_SPIKEANDDIP"
        let args = call.arguments
        let arity = spike ? 4 : 3
        guard args.count == arity else {
            diagnostics.append(.error("SAQL2012", "'\(call.baseName)' takes \(arity) arguments "
                                      + (spike ? "(expr, confidence, historySize, mode)" : "(expr, confidence, historySize)")
                                      + ", got \(args.count)", at: call.nameRange))
            return nil
        }
        guard call.over?.limitDuration != nil else {
            diagnostics.append(.error("SAQL2100", "\(call.baseName) needs OVER ([PARTITION BY ...] LIMIT DURATION(unit, n) [WHEN ...])",
                                      at: call.nameRange,
                                      helps: [.init("add OVER (LIMIT DURATION(minute, 2)), about the time historySize events take to arrive")]))
            return nil
        }
        if case .star = args[0].kind {
            diagnostics.append(.error("SAQL2101", "anomaly detection needs a numeric expression, not '*'", at: args[0].range))
            return nil
        }
        let value = bindExpr(args[0], scope, .forbidden(clause: "an analytic function's argument"))
        if value.type != .any && !value.type.isNumeric {
            diagnostics.append(.error("SAQL2102", "anomaly detection needs a bigint or float, not \(value.type)", at: args[0].range))
        }
        guard let confidence = constantNumber(args[1]) else { return nil }
        guard (1...100).contains(confidence) else {
            diagnostics.append(.error("SAQL2103", "confidence must be between 1 and 100 (a percentage), got \(sourceText(args[1]))",
                                      at: args[1].range, helps: [.init("lower confidence reports more anomalies; 95 is common")]))
            return nil
        }
        guard let history = constantNumber(args[2]) else { return nil }
        guard history >= 1, history == history.rounded(), history <= 100_000 else {
            diagnostics.append(.error("SAQL2104", "historySize must be a whole number of events from 1 to 100000, got \(sourceText(args[2]))",
                                      at: args[2].range))
            return nil
        }
        var function = AnalyticFunction.changePoint(confidence: confidence, historySize: Int(history))
        if spike {
            guard case .literal(.string(let text)) = args[3].kind, let mode = AnomalyMode(rawValue: text.lowercased()) else {
                diagnostics.append(.error("SAQL2105", "mode must be 'spikes', 'dips' or 'spikesanddips'", at: args[3].range))
                return nil
            }
            function = .spikeAndDip(confidence: confidence, historySize: Int(history), mode: mode)
        }
        return AnalyticCall(function: function, argument: value, partitionBy: partition, duration: duration, when: when,
                            resultType: AnalyticName.anomalyResult)
    }
}
