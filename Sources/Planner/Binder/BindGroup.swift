import SAQLParser

extension Binder {
    /// Binds a grouped SELECT: WHERE'd input → window aggregate → HAVING → projection.
    mutating func bindGroupedSelect(_ core: SelectCore, plan input: LogicalPlan, scope: Scope) -> (LogicalPlan, Schema) {
        var window: WindowSpec?
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
                window = bindWindow(call, g.range)
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
        if let snapshot {
            if window == nil {
                diagnostics.append(.error("SAQL4001", "snapshot windows (GROUP BY System.Timestamp()) are not supported yet",
                                          at: snapshot.range))
            } else {
                keys.append(BoundExpr(.systemTimestamp, .datetime, snapshot.range))
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
        let ctx = GroupContext(keys: keys)
        let (items, schema) = bindSelectItems(core.items, scope: scope, mode: .grouped(ctx))
        var having: BoundExpr?
        if let h = core.having {
            ctx.inHaving = true
            having = bindPredicate(h, scope, clause: "HAVING", mode: .grouped(ctx))
        }
        let spec = window ?? .tumbling(size: .seconds(1), offset: .zero)
        var plan = LogicalPlan.windowAggregate(
            WindowAggregate(window: spec, keys: keys, keyNames: keyNames, aggregates: ctx.aggregates), input: input)
        if let having { plan = .filter(having, input: plan) }
        return (.project(items, input: plan), schema)
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

    /// Binds TumblingWindow / HoppingWindow in either argument style.
    mutating func bindWindow(_ call: FunctionCall, _ range: SourceRange) -> WindowSpec? {
        let upper = call.baseName.uppercased()
        if call.over != nil && !upper.hasPrefix("SESSION") {
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
                                          at: range))
                return nil
            }
            return .hopping(size: d[0], hop: d[1], offset: d.count > 2 ? d[2] : .zero)
        default:
            diagnostics.append(.error("SAQL4001", "\(call.baseName) is not supported yet", at: call.nameRange))
            return nil
        }
    }

    private mutating func checkWindowSize(_ d: Duration, what: String, range: SourceRange) -> Bool {
        if d.ticks <= 0 {
            diagnostics.append(.error("SAQL2069", "the \(what) must be positive", at: range))
            return false
        }
        if d > Duration(ticks: 7 * Timestamp.ticksPerDay) {
            diagnostics.append(.error("SAQL2069", "the \(what) cannot exceed 7 days", at: range))
            return false
        }
        return true
    }

    /// Reads window arguments: `(unit, n1, n2, ...)` or `(Duration(unit, n), Hop(unit, n), Offset(unit, n))`.
    private mutating func windowDurations(_ call: FunctionCall, names: [String], required: Int, range: SourceRange) -> [Duration]? {
        let args = call.arguments
        if let first = args.first, case .call(let inner) = first.kind, names.contains(inner.baseName.uppercased()) {
            var out: [Duration] = []
            for a in args {
                guard case .call(let c) = a.kind, c.arguments.count == 2, let unit = durationUnit(c.arguments[0]),
                      let n = constantNumber(c.arguments[1]) else {
                    diagnostics.append(.error("SAQL2067", "expected Duration(unit, size), Hop(unit, size) or Offset(unit, size)", at: a.range))
                    return nil
                }
                out.append(Duration(ticks: Int64((n * Double(unit.fixedTicks ?? 1)).rounded())))
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
        var out: [Duration] = []
        for a in args.dropFirst() {
            guard let n = constantNumber(a) else { return nil }
            out.append(Duration(ticks: Int64((n * Double(unit.fixedTicks ?? 1)).rounded())))
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
