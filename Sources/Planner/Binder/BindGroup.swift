import SAQLParser

extension Binder {
    /// Binds a grouped SELECT: WHERE'd input → window aggregate → HAVING → projection. `Windows(...)`
    /// computes the query once per window and unions the results.
    mutating func bindGroupedSelect(_ core: SelectCore, plan input: LogicalPlan, scope: Scope) -> (LogicalPlan, Schema) {
        var windows: [(id: String?, spec: WindowSpec)] = []
        var windowRange: SourceRange?
        var keys: [BoundExpr] = []
        var keyNames: [String] = []
        var snapshot: Expr?
        var reported = false
        for g in core.groupBy ?? [] {
            if case .call(let call) = g.kind, call.name.count == 1, windowFunctionNames.contains(call.baseName.uppercased()) {
                if let previous = windowRange {
                    diagnostics.append(.error("SAQL2063", "GROUP BY can have only one window", at: g.range,
                                              notes: [.init("the first window is here", at: previous)],
                                              helps: [.init("combine windows with Windows(...)")]))
                    continue
                }
                windowRange = g.range
                windows = bindWindows(call, g.range, scope)
                continue
            }
            if isSystemTimestamp(g) {
                snapshot = g
                continue
            }
            let key = bindExpr(g, scope, .forbidden(clause: "GROUP BY"))
            if containsSystemTimestamp(key) {
                reported = true
                diagnostics.append(.error("SAQL2064", "a window must be specified", at: g.range,
                                          helps: [.init("group by a window such as TumblingWindow(minute, 1), not an expression of System.Timestamp()")]))
            }
            keys.append(key)
            keyNames.append(keyName(g, index: keys.count - 1))
        }
        if snapshot != nil {
            if windowRange == nil {
                windows = [(nil, .snapshot)]
            } else {
                // Next to a window, System.Timestamp() is a plain key.
                keys.append(BoundExpr(.systemTimestamp, .datetime, snapshot?.range ?? .unknown))
                keyNames.append("Timestamp")
            }
        }
        if core.groupBy == nil {
            let first = core.items.compactMap { item -> SourceRange? in
                if case .expr(let e, _) = item, containsAggregate(e) { return e.range }
                return nil
            }.first ?? core.range
            diagnostics.append(.error("SAQL2065", "aggregates need GROUP BY with a window", at: first,
                                      helps: [.init("add GROUP BY TumblingWindow(minute, 1) (or another window)")]))
        } else if windowRange == nil && snapshot == nil && !reported {
            diagnostics.append(.error("SAQL2064", "a window must be specified in GROUP BY",
                                      at: core.groupBy?.first?.range ?? core.range,
                                      helps: [.init("add a window, e.g. GROUP BY \(keyNames.first.map { "\($0), " } ?? "")TumblingWindow(minute, 1)")]))
        }
        if windows.isEmpty { windows = [(nil, .tumbling(size: .seconds(1), offset: .zero))] }
        var branches: [LogicalPlan] = []
        var schema = Schema(columns: [])
        for (id, spec) in windows {
            let ctx = GroupContext(keys: keys)
            windowIdentifier = id.map { Value.string($0) } ?? .null
            let (items, s) = bindSelectItems(core.items, scope: scope, mode: .grouped(ctx))
            var having: BoundExpr?
            if let h = core.having {
                ctx.inHaving = true
                having = bindPredicate(h, scope, clause: "HAVING", mode: .grouped(ctx))
            }
            var plan = LogicalPlan.windowAggregate(
                WindowAggregate(window: spec, keys: keys, keyNames: keyNames, aggregates: ctx.aggregates), input: input)
            if let having { plan = .filter(having, input: plan) }
            branches.append(.project(items, input: plan))
            schema = s
        }
        windowIdentifier = nil
        return (branches.count == 1 ? branches[0] : .union(branches), schema)
    }

    /// Binds a window call, or each window of `Windows(...)` with its optional `Window('id', ...)` name.
    mutating func bindWindows(_ call: FunctionCall, _ range: SourceRange, _ scope: Scope) -> [(id: String?, spec: WindowSpec)] {
        guard call.baseName.uppercased() == "WINDOWS" else {
            return bindWindow(call, range, scope).map { [(nil, $0)] } ?? []
        }
        var out: [(id: String?, spec: WindowSpec)] = []
        var named = 0
        for arg in call.arguments {
            if case .call(let inner) = arg.kind, inner.baseName.uppercased() == "WINDOW" {
                guard inner.arguments.count == 2, case .literal(.string(let id)) = inner.arguments[0].kind else {
                    diagnostics.append(.error("SAQL2094", "expected Window('id', window)", at: arg.range))
                    continue
                }
                if out.contains(where: { $0.id?.caseInsensitiveEquals(id) == true }) {
                    diagnostics.append(.error("SAQL2095", "window id '\(id)' is used twice", at: inner.arguments[0].range))
                }
                named += 1
                if let spec = windowOfWindows(inner.arguments[1], scope, expectingID: true) { out.append((id, spec)) }
            } else if let spec = windowOfWindows(arg, scope, expectingID: false) {
                out.append((nil, spec))
            }
        }
        if named != 0 && named != call.arguments.count {
            diagnostics.append(.error("SAQL2097", "either every window in Windows(...) has an id or none has", at: range))
        }
        if call.arguments.isEmpty {
            diagnostics.append(.error("SAQL2094", "Windows(...) needs at least one window", at: range))
        }
        return out
    }

    /// One window inside `Windows(...)`. ASA spells a snapshot window there `System.Timestamp()`.
    private mutating func windowOfWindows(_ e: Expr, _ scope: Scope, expectingID: Bool) -> WindowSpec? {
        if isSystemTimestamp(e) { return .snapshot }
        guard case .call(let w) = e.kind else {
            diagnostics.append(.error("SAQL2094", expectingID ? "expected Window('id', window)" : "Windows(...) takes window definitions", at: e.range))
            return nil
        }
        if w.baseName.uppercased() == "WINDOWS" {
            diagnostics.append(.error("SAQL2096", "Windows(...) cannot be nested", at: e.range))
            return nil
        }
        return bindWindow(w, e.range, scope)
    }

    func isSystemTimestamp(_ e: Expr) -> Bool {
        switch e.kind {
        case .member(let b, let n):
            if case .identifier(let s) = b.kind { return s.matches("System") && n.matches("Timestamp") }
        case .call(let c):
            return c.name.count == 2 && c.name[0].matches("System") && c.name[1].matches("Timestamp")
        default: break
        }
        return false
    }

    func keyName(_ e: Expr, index: Int) -> String {
        switch e.kind {
        case .identifier(let n), .member(_, let n): return n.text
        default: return "key\(index + 1)"
        }
    }

    /// Binds one window function in either argument style.
    mutating func bindWindow(_ call: FunctionCall, _ range: SourceRange, _ scope: Scope) -> WindowSpec? {
        let upper = call.baseName.uppercased()
        if let over = call.over, !upper.hasPrefix("SESSION") || !over.orderBy.isEmpty || over.limitDuration != nil || over.when != nil {
            diagnostics.append(.error("SAQL2066", "only SessionWindow takes OVER (PARTITION BY ...)", at: call.over?.range ?? range))
        }
        switch upper {
        case "TUMBLINGWINDOW", "TUMBLING":
            guard let d = windowDurations(call, names: ["DURATION", "OFFSET"], required: 1, range: range) else { return nil }
            guard d.count <= 2 else {
                diagnostics.append(.error("SAQL2067", "TumblingWindow takes (unit, size[, offset])", at: range))
                return nil
            }
            guard checkWindowSize(d[0], what: "window size", range: range) else { return nil }
            return .tumbling(size: d[0], offset: d.count > 1 ? d[1] : .zero)
        case "HOPPINGWINDOW", "HOPPING":
            guard let d = windowDurations(call, names: ["DURATION", "HOP", "OFFSET"], required: 2, range: range) else { return nil }
            guard d.count <= 3 else {
                diagnostics.append(.error("SAQL2067", "HoppingWindow takes (unit, size, hop[, offset])", at: range))
                return nil
            }
            guard checkWindowSize(d[0], what: "window size", range: range), checkWindowSize(d[1], what: "hop size", range: range)
            else { return nil }
            if d[1] > d[0] {
                diagnostics.append(.error("SAQL2068", "the hop size (\(d[1])) cannot be larger than the window size (\(d[0]))",
                                          at: range, helps: [.init("the arguments are (unit, window size, hop size): a hop at most the size, e.g. HoppingWindow(minute, 5, 1)")]))
                return nil
            }
            return .hopping(size: d[0], hop: d[1], offset: d.count > 2 ? d[2] : .zero)
        case "SLIDINGWINDOW", "SLIDING":
            guard let d = windowDurations(call, names: ["DURATION"], required: 1, range: range) else { return nil }
            guard d.count == 1 else {
                diagnostics.append(.error("SAQL2067", "SlidingWindow takes (unit, size)", at: range))
                return nil
            }
            guard checkWindowSize(d[0], what: "window size", range: range) else { return nil }
            return .sliding(size: d[0])
        case "SESSIONWINDOW", "SESSION":
            guard let d = windowDurations(call, names: ["TIMEOUT", "MAXDURATION"], required: 2, range: range) else { return nil }
            guard d.count == 2 else {
                diagnostics.append(.error("SAQL2067", "SessionWindow takes (unit, timeout, maxDuration)", at: range))
                return nil
            }
            guard checkWindowSize(d[0], what: "timeout", range: range), checkWindowSize(d[1], what: "maximum duration", range: range)
            else { return nil }
            if d[0] > d[1] {
                diagnostics.append(.error("SAQL2068", "the timeout (\(d[0])) cannot be larger than the maximum duration (\(d[1]))",
                                          at: range, helps: [.init("the arguments are (unit, timeout, maximum duration), e.g. SessionWindow(minute, 5, 60)")]))
                return nil
            }
            let partition = call.over?.partitionBy.map { bindExpr($0, scope, .forbidden(clause: "PARTITION BY")) } ?? []
            return .session(timeout: d[0], maxDuration: d[1], partitionBy: partition)
        case "SNAPSHOTWINDOW":
            if !call.arguments.isEmpty {
                diagnostics.append(.error("SAQL2067", "SnapshotWindow takes no arguments", at: range))
            }
            return .snapshot
        default:
            diagnostics.append(.error("SAQL2060", "'\(call.baseName)' is not a window", at: call.nameRange,
                                      helps: [.init("a window is TumblingWindow, HoppingWindow, SlidingWindow, SessionWindow or System.Timestamp() (a snapshot); an expression of System.Timestamp() is not one")]))
            return nil
        }
    }

    private mutating func checkWindowSize(_ d: TimeSpan, what: String, range: SourceRange) -> Bool {
        if d.ticks <= 0 {
            diagnostics.append(.error("SAQL2069", "the \(what) must be positive", at: range,
                                      helps: [.init("sizes count the unit, e.g. TumblingWindow(minute, 1)")]))
            return false
        }
        if d > TimeSpan(ticks: 7 * Timestamp.ticksPerDay) {
            diagnostics.append(.error("SAQL2069", "the \(what) cannot exceed 7 days", at: range))
            return false
        }
        return true
    }

    /// Reads window arguments: `(unit, n1, n2, ...)` or `(Duration(unit, n), Hop(unit, n), Offset(unit, n))`.
    private mutating func windowDurations(_ call: FunctionCall, names: [String], required: Int, range: SourceRange) -> [TimeSpan]? {
        let args = call.arguments
        if let first = args.first, case .call(let inner) = first.kind, names.contains(inner.baseName.uppercased()) {
            var out: [TimeSpan] = []
            for a in args {
                guard case .call(let c) = a.kind, c.arguments.count == 2, let unit = durationUnit(c.arguments[0]),
                      let n = constantNumber(c.arguments[1]) else {
                    diagnostics.append(.error("SAQL2067", "expected Duration(unit, size), Hop(unit, size) or Offset(unit, size)", at: a.range))
                    return nil
                }
                guard let d = span(n, unit, at: c.arguments[1].range) else { return nil }
                out.append(d)
            }
            guard out.count >= required else {
                diagnostics.append(.error("SAQL2067", "\(call.baseName) needs \(names.prefix(required).joined(separator: " and "))", at: range))
                return nil
            }
            return out
        }
        guard args.count >= required + 1, let unit = durationUnit(args[0]) else {
            if args.count < required + 1 {
                diagnostics.append(.error("SAQL2067", "\(call.baseName) needs a time unit and \(required == 1 ? "a size" : "a size and a hop")",
                                          at: range))
            }
            return nil
        }
        var out: [TimeSpan] = []
        for a in args.dropFirst() {
            guard let n = constantNumber(a) else { return nil }
            guard let d = span(n, unit, at: a.range) else { return nil }
            out.append(d)
        }
        return out
    }

    private mutating func durationUnit(_ e: Expr) -> DatePart? {
        guard case .identifier(let n) = e.kind, let part = DatePart(name: n.text), part.isDurationUnit else {
            diagnostics.append(.error("SAQL2070", "expected a time unit, found '\(sourceText(e))'", at: e.range,
                                      helps: [.init("time units are day, hour, minute, second, millisecond and microsecond")]))
            return nil
        }
        return part
    }

    /// A numeric constant (a literal, possibly negated).
    /// `n` units as a span, or an error at `range` when it is longer than ``TimeSpan/longest``.
    mutating func span(_ n: Double, _ unit: DatePart, at range: SourceRange) -> TimeSpan? {
        guard let span = TimeSpan(count: n, unitTicks: unit.fixedTicks ?? 1) else {
            diagnostics.append(.error("SAQL2069", "the duration is out of range", at: range,
                                      notes: [.init("a duration can be at most 10,000 years")]))
            return nil
        }
        return span
    }

    mutating func constantNumber(_ e: Expr) -> Double? {
        switch e.kind {
        case .literal(.integer(let t)), .literal(.float(let t)):
            if let v = Double(t) { return v }
        case .unary(.negate, let inner):
            return constantNumber(inner).map { -$0 }
        default:
            break
        }
        diagnostics.append(.error("SAQL2071", "expected a constant number, found '\(sourceText(e))'", at: e.range))
        return nil
    }
}
