import SAQLParser

/// Functions the binder knows the signature of but whose semantics land in later issues.
enum AnalyticName: String {
    case lag = "LAG", last = "LAST", isFirst = "ISFIRST"
    case spikeAndDip = "ANOMALYDETECTION_SPIKEANDDIP", changePoint = "ANOMALYDETECTION_CHANGEPOINT"

    static let anomalyResult = DataType.record(fields: [RecordFieldType("Score", .float), RecordFieldType("IsAnomaly", .bigint)])
}

/// Window functions, usable only in GROUP BY.
let windowFunctionNames: Set<String> = [
    "TUMBLINGWINDOW", "TUMBLING", "HOPPINGWINDOW", "HOPPING", "SLIDINGWINDOW", "SLIDING",
    "SESSIONWINDOW", "SESSION", "SNAPSHOTWINDOW", "WINDOWS", "WINDOW",
]

extension Binder {
    /// Binds an expression against a scope. Never fails: errors become diagnostics and NULL literals.
    mutating func bindExpr(_ e: Expr, _ scope: Scope, _ mode: AggregateMode) -> BoundExpr {
        if case .grouped(let ctx) = mode, let grouped = bindGroupedLeaf(e, scope, ctx) { return grouped }
        if case .measures(let ctx) = mode, let slot = bindMeasureLeaf(e, scope, ctx) { return slot }
        switch e.kind {
        case .missing:
            return .literal(.null, e.range)
        case .literal(let lit):
            return bindLiteral(lit, e.range)
        case .identifier(let name):
            return bindName(name, scope, e.range)
        case .member(let base, let name):
            return bindMember(base, name, scope, mode, e.range)
        case .star:
            diagnostics.append(.error("SAQL2006", "'*' is only allowed in a select list or as COUNT(*)", at: e.range))
            return .literal(.null, e.range)
        case .unary(let op, let operand):
            return bindUnary(op, operand, scope, mode, e.range)
        case .binary(let op, let l, let r):
            return bindBinary(op, l, r, scope, mode, e.range)
        case .between(let x, let low, let high, let negated):
            let bx = bindExpr(x, scope, mode), bl = bindExpr(low, scope, mode), bh = bindExpr(high, scope, mode)
            checkComparable(bx, bl, x, low)
            checkComparable(bx, bh, x, high)
            return BoundExpr(.between(bx, bl, bh, negated: negated), .bit, e.range)
        case .like(let x, let pattern, let negated):
            let bx = bindExpr(x, scope, mode), bp = bindExpr(pattern, scope, mode)
            return BoundExpr(.like(bx, bp, negated: negated), .bit, e.range)
        case .inList(let x, let list, let negated):
            let bx = bindExpr(x, scope, mode)
            let items = list.map { item -> BoundExpr in
                let b = bindExpr(item, scope, mode)
                checkComparable(bx, b, x, item)
                return b
            }
            return BoundExpr(.inList(bx, items, negated: negated), .bit, e.range)
        case .isNull(let x, let negated):
            return BoundExpr(.isNull(bindExpr(x, scope, mode), negated: negated), .bit, e.range)
        case .caseWhen(let c):
            return bindCase(c, scope, mode, e.range)
        case .cast(let x, let typeName, let isTry):
            let bx = bindExpr(x, scope, mode)
            guard let type = DataType(typeName: typeName.name) else {
                diagnostics.append(.error("SAQL2007", "unknown type '\(typeName.name)'", at: typeName.range,
                                          helps: [.init("types are bigint, float, nvarchar(max), datetime, bit, record and array")]))
                return BoundExpr(.cast(bx, .any, isTry: isTry), .any, e.range)
            }
            return BoundExpr(.cast(bx, type, isTry: isTry), type, e.range)
        case .call(let call):
            return bindCall(call, scope, mode, e.range)
        }
    }

    // MARK: grouped queries

    /// In SELECT/HAVING of a grouped query: aggregates and GROUP BY expressions become columns of the
    /// aggregate's output row; other column references are errors. Returns `nil` to bind `e` normally.
    mutating func bindGroupedLeaf(_ e: Expr, _ scope: Scope, _ ctx: GroupContext) -> BoundExpr? {
        if case .call(let call) = e.kind, isGroupAggregate(call) {
            return bindAggregate(call, scope, ctx, e.range)
        }
        if case .literal = e.kind { return nil }
        if !containsAggregate(e) {
            var probe = self
            let b = probe.bindExpr(e, scope, .forbidden(clause: "GROUP BY"))
            // Constants and System.Timestamp() (the window end here) need no key.
            if b.isConstant || b.kind == .systemTimestamp { return nil }
            if let k = ctx.keys.firstIndex(of: b) { return BoundExpr(.column(k), b.type, e.range) }
        }
        let isColumnLike: Bool
        switch e.kind {
        case .identifier(let n):
            if ctx.inHaving, let aliased = ctx.selectAliases[n.text.lowercased()] { return aliased }
            isColumnLike = n.quoting != .doubleQuotes || scope.relations.contains { $0.schema.index(of: n.text) != nil }
        case .member(let base, let n):
            if case .identifier(let s) = base.kind, s.matches("System"), n.matches("Timestamp") { return nil }
            isColumnLike = true
        case .call(let c):
            // An analytic value is per event: in a grouped SELECT it must be a key or aggregated.
            isColumnLike = analyticColumns[c.nameRange] != nil
        default:
            isColumnLike = false
        }
        guard isColumnLike else { return nil }
        let what = sourceText(e)
        diagnostics.append(.error("SAQL2052", "'\(what)' must appear in GROUP BY or inside an aggregate", at: e.range,
                                  helps: [.init("add '\(what)' to GROUP BY, or aggregate it, e.g. MAX(\(what))")]))
        return .literal(.null, e.range)
    }

    mutating func bindAggregate(_ call: FunctionCall, _ scope: Scope, _ ctx: GroupContext, _ range: SourceRange) -> BoundExpr {
        guard let function = aggregate(named: call.registryKey ?? call.baseName), let agg = bindAggregateCall(function, call, scope) else {
            return .literal(.null, range)
        }
        return BoundExpr(.column(ctx.column(for: agg)), agg.resultType, range)
    }

    /// Binds an aggregate's arguments, ordering and parameter (shared by GROUP BY and OVER forms).
    mutating func bindAggregateCall(_ function: AggregateFunction, _ call: FunctionCall, _ scope: Scope) -> AggregateCall? {
        let upper = call.baseName.uppercased()
        let args = call.arguments
        let mode = AggregateMode.forbidden(clause: "an aggregate's argument")
        func arity(_ allowed: ClosedRange<Int>, _ shape: String) -> Bool {
            guard allowed.contains(args.count) else {
                diagnostics.append(.error("SAQL2012", "'\(upper)' takes \(shape), got \(args.count) argument\(args.count == 1 ? "" : "s")",
                                          at: call.nameRange))
                return false
            }
            return true
        }
        var orderItems = call.withinGroup ?? call.over?.orderBy ?? []
        let definition = function.definition
        if !orderItems.isEmpty && !definition.needsOrder {
            diagnostics.append(.error("SAQL2086", "\(upper) takes no ORDER BY", at: orderItems[0].expr.range))
            orderItems = []
        }
        let order = orderItems.map { BoundOrderItem(expr: bindExpr($0.expr, scope, mode), descending: $0.descending) }
        for (item, bound) in zip(orderItems, order)
        where bound.expr.type != .any && !bound.expr.type.isNumeric && bound.expr.type != .datetime {
            diagnostics.append(.error("SAQL2087", "ORDER BY in \(upper) needs a bigint, float or datetime, not \(bound.expr.type)",
                                      at: item.expr.range))
        }
        if definition.needsOrder && order.isEmpty {
            diagnostics.append(.error("SAQL2088", "\(upper) needs an ordering: \(upper)(...) OVER (ORDER BY column)", at: call.nameRange))
            return nil
        }
        switch definition.arguments {
        case .optionalRow:
            guard arity(0...1, "at most one argument") else { return nil }
            let arg = args.first.map { isStar($0) ? wholeRow(scope, range: $0.range) : bindExpr($0, scope, mode) } ?? wholeRow(scope, range: call.nameRange)
            return AggregateCall(function: function, argument: arg, orderBy: order)
        case .countAndOptionalRow:
            guard arity(1...2, "(n[, expr])"), let n = constantNumber(args[0]) else { return nil }
            guard n >= 1, n == n.rounded(), n <= 1_000_000 else {
                diagnostics.append(.error("SAQL2089", "\(call.baseName)'s n must be an integer from 1 to 1,000,000", at: args[0].range))
                return nil
            }
            let arg = args.count > 1 ? (isStar(args[1]) ? wholeRow(scope, range: args[1].range) : bindExpr(args[1], scope, mode))
                : wholeRow(scope, range: call.nameRange)
            return AggregateCall(function: function, argument: arg, orderBy: order, parameter: n)
        case .fraction:
            guard arity(1...1, "one argument (the percentile)"), let p = constantNumber(args[0]) else { return nil }
            guard (0...1).contains(p) else {
                diagnostics.append(.error("SAQL2090", "the percentile must be between 0 and 1", at: args[0].range))
                return nil
            }
            if order.count != 1 {
                diagnostics.append(.error("SAQL2088", "\(upper) orders by exactly one expression", at: call.nameRange))
                return nil
            }
            return AggregateCall(function: function, argument: nil, orderBy: order, parameter: p)
        case .value(let numeric, let star):
            // `COUNT()` is `COUNT(*)`, as the COUNT page says.
            if star && args.isEmpty && !call.distinct { return AggregateCall(function: function, argument: nil) }
            guard arity(1...1, "1 argument") else { return nil }
            let arg = args[0]
            if case .star(nil) = arg.kind, star {
                if call.distinct {
                    diagnostics.append(.error("SAQL2091", "\(upper)(DISTINCT *) is not valid", at: arg.range,
                                              helps: [.init("count distinct events with \(upper)(DISTINCT input_name)")]))
                }
                return AggregateCall(function: function, argument: nil)
            }
            if case .identifier(let n) = arg.kind, star,
               scope.relations.contains(where: { $0.alias.caseInsensitiveEquals(n.text) }),
               !scope.relations.contains(where: { $0.schema.index(of: n.text) != nil }) {
                // COUNT(input) counts events; COUNT(DISTINCT input) counts distinct events.
                if call.distinct { return AggregateCall(function: function, argument: wholeRow(scope, range: arg.range), distinct: true) }
                return AggregateCall(function: function, argument: nil)
            }
            let bound = bindExpr(arg, scope, mode)
            if numeric && bound.type != .any && !bound.type.isNumeric {
                diagnostics.append(.error("SAQL2013", "\(upper) needs a bigint or float argument, not \(bound.type)", at: arg.range))
            }
            if call.distinct && !star {
                diagnostics.append(.error("SAQL2092", "DISTINCT is only supported in COUNT(DISTINCT ...)", at: call.nameRange))
            }
            return AggregateCall(function: function, argument: bound, distinct: call.distinct)
        }
    }

    /// The aggregate a call names, if any.
    func aggregate(named name: String) -> AggregateFunction? { functions.aggregate(named: name).map(AggregateFunction.init) }

    func isStar(_ e: Expr) -> Bool { if case .star(nil) = e.kind { return true } else { return false } }

    /// True when the expression contains a windowed aggregate call (not an analytic one).
    func containsAggregate(_ e: Expr) -> Bool {
        switch e.kind {
        case .call(let c):
            if isGroupAggregate(c) { return true }
            if isAnalytic(c) { return false }
            return c.arguments.contains(where: containsAggregate)
        case .member(let b, _): return containsAggregate(b)
        case .unary(_, let x), .cast(let x, _, _), .isNull(let x, _): return containsAggregate(x)
        case .binary(_, let a, let b), .like(let a, let b, _): return containsAggregate(a) || containsAggregate(b)
        case .between(let x, let a, let b, _): return containsAggregate(x) || containsAggregate(a) || containsAggregate(b)
        case .inList(let x, let l, _): return containsAggregate(x) || l.contains(where: containsAggregate)
        case .caseWhen(let c):
            return (c.operand.map(containsAggregate) ?? false) || (c.elseResult.map(containsAggregate) ?? false)
                || c.whens.contains { containsAggregate($0.condition) || containsAggregate($0.result) }
        case .identifier, .literal, .star, .missing: return false
        }
    }

    /// An aggregate over a window's group (no OVER, or `OVER (ORDER BY ...)` only).
    func isGroupAggregate(_ c: FunctionCall) -> Bool {
        c.registryKey.map { functions.aggregate(named: $0) != nil } == true && !isAnalytic(c)
    }

    func containsSystemTimestamp(_ e: BoundExpr) -> Bool {
        var found = false
        e.visit { if case .systemTimestamp = $0.kind { found = true } }
        return found
    }

    // MARK: names

    mutating func bindLiteral(_ lit: Literal, _ range: SourceRange) -> BoundExpr {
        switch lit {
        case .integer(let t):
            if let v = Int64(t) { return .literal(.bigint(v), range) }
            diagnostics.append(.warning("SAQL2008", "integer literal \(t) does not fit in bigint; it is read as float", at: range))
            return .literal(.float(Double(t) ?? .infinity), range)
        case .float(let t):
            return .literal(.float(Double(t) ?? 0), range)
        case .string(let s):
            return .literal(.string(s), range)
        case .null:
            return .literal(.null, range)
        }
    }

    /// Resolves a bare name against the scope's relations.
    mutating func bindName(_ name: Name, _ scope: Scope, _ range: SourceRange) -> BoundExpr {
        var found: [BoundExpr] = []
        for relation in scope.relations where !relation.qualifiedOnly {
            if let e = resolve(name.text, in: relation, range: range, quoted: name.quoting == .doubleQuotes) { found.append(e) }
        }
        if found.count > 1 && name.quoting == .doubleQuotes {
            // "text" over several schemaless sources: a definite column wins; else the first source's
            // field (or the text itself) — ASA's examples use "text" as a literal in joins.
            let definite = found.filter {
                switch $0.kind {
                case .fieldOrText, .literal: return false
                default: return true
                }
            }
            found = definite.count == 1 ? definite : [found[0]]
        }
        if found.count > 1 {
            diagnostics.append(.error("SAQL2003", "column '\(name.text)' is ambiguous", at: range,
                                      helps: [.init("qualify it with the source alias, e.g. '\(scope.relations[0].alias).\(name.text)'")]))
        }
        if let first = found.first { return first }
        if name.quoting == .doubleQuotes {
            // ASA's docs use "text" both as a field name and as a string literal; here it is a literal.
            return .literal(.string(name.text), range)
        }
        if scope.relations.contains(where: { $0.alias.caseInsensitiveEquals(name.text) }) {
            diagnostics.append(.error("SAQL2004", "'\(name.text)' is a source, not a column", at: range,
                                      helps: [.init("select its columns with '\(name.text).*' or name a column: '\(name.text).field'")]))
            return .literal(.null, range)
        }
        unknownColumn(name.text, scope.relations, range)
        return .literal(.null, range)
    }

    mutating func unknownColumn(_ name: String, _ relations: [Scope.Relation], _ range: SourceRange) {
        let candidates = relations.flatMap { r -> [String] in
            r.input.map { layout(of: $0).fields } ?? r.schema.columns.filter { !$0.splice }.map(\.name)
        }
        var helps: [Diagnostic.Help] = []
        if suggesting, let near = Suggest.closest(name, in: candidates) {
            helps.append(.init("did you mean '\(near)'?", replacing: range, with: near))
        }
        let source = relations.count == 1 ? " in '\(relations[0].alias)'" : ""
        diagnostics.append(.error("SAQL2001", "column '\(name)' not found\(source)", at: range, helps: helps))
    }

    /// Resolves `name` in one relation: a named column, a schemaless input field, or a field of an open
    /// relation's record. `nil` when the relation has a known schema without that column.
    mutating func resolve(_ name: String, in relation: Scope.Relation, range: SourceRange, quoted: Bool = false) -> BoundExpr? {
        if relation.poisoned { return .literal(.null, range) }
        if let input = relation.input {
            if quoted, header.table(named: input) == nil {
                // A quoted name over a schemaless input: the field when present, else the text itself.
                recordWanted.insert(input)
                let schema = layout(of: input).schema
                guard let splice = schema.spliceIndex else { return .literal(.string(name), range) }
                return BoundExpr(.fieldOrText(BoundExpr(.column(relation.offset + splice), .anyRecord), name), .any, range)
            }
            guard let col = fieldColumn(name, of: input) else { return nil }
            let type = layout(of: input).schema.columns[col].type
            return BoundExpr(.column(relation.offset + col), type, range)
        }
        if let i = relation.schema.index(of: name) {
            return BoundExpr(.column(relation.offset + i), relation.schema.columns[i].type, range)
        }
        guard let splice = relation.schema.spliceIndex else { return nil }
        if quoted { wantRecord(of: relation.schema) } else { registerField(name, on: relation.schema) }
        let record = BoundExpr(.column(relation.offset + splice), .anyRecord)
        return BoundExpr(quoted ? .fieldOrText(record, name) : .field(record, name), .any, range)
    }

    mutating func bindMember(_ base: Expr, _ name: Name, _ scope: Scope, _ mode: AggregateMode, _ range: SourceRange) -> BoundExpr {
        if case .identifier(let b) = base.kind {
            if b.matches("System") && name.matches("Timestamp") { return BoundExpr(.systemTimestamp, .datetime, range) }
            if b.quoting == .none || b.quoting == .brackets,
               let relation = scope.relations.first(where: { $0.alias.caseInsensitiveEquals(b.text) }),
               relation.schema.index(of: b.text) == nil {
                if let e = resolve(name.text, in: relation, range: range) { return e }
                unknownColumn(name.text, [relation], name.range)
                return .literal(.null, range)
            }
        }
        let record = bindExpr(base, scope, mode)
        switch record.type {
        case .any, .record:
            var type = DataType.any
            if let known = record.type.fieldType(name.text) { type = known } else if case .record(let fields?) = record.type {
                var helps: [Diagnostic.Help] = []
                if suggesting, let near = Suggest.closest(name.text, in: fields.map(\.name)) {
                    helps.append(.init("did you mean '\(near)'?", replacing: name.range, with: near))
                }
                diagnostics.append(.error("SAQL2009", "record has no field '\(name.text)'", at: name.range, helps: helps))
            }
            return BoundExpr(.field(record, name.text), type, range)
        default:
            diagnostics.append(.error("SAQL2010", "'\(sourceText(base))' is \(record.type), not a record, so it has no field '\(name.text)'",
                                      at: name.range))
            return .literal(.null, range)
        }
    }

    // MARK: operators

    mutating func bindUnary(_ op: UnaryOperator, _ operand: Expr, _ scope: Scope, _ mode: AggregateMode,
                            _ range: SourceRange) -> BoundExpr {
        switch op {
        case .plus:
            return bindExpr(operand, scope, mode)
        case .negate:
            if case .literal(.integer(let t)) = operand.kind, let v = Int64("-" + t) { return .literal(.bigint(v), range) }
            if case .literal(.float(let t)) = operand.kind, let v = Double(t) { return .literal(.float(-v), range) }
            let b = bindExpr(operand, scope, mode)
            requireScalar(b, operand, "'-'")
            return BoundExpr(.unary(.negate, b), b.type == .bit ? .bigint : b.type, range)
        case .bitwiseNot:
            let b = bindExpr(operand, scope, mode)
            requireScalar(b, operand, "'~'")
            return BoundExpr(.unary(.bitwiseNot, b), b.type == .bit ? .bit : b.type == .any ? .any : .bigint, range)
        case .not:
            let b = bindPredicate(operand, scope, clause: "NOT", mode: mode)
            return BoundExpr(.unary(.not, b), .bit, range)
        }
    }

    mutating func bindBinary(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ scope: Scope, _ mode: AggregateMode,
                             _ range: SourceRange) -> BoundExpr {
        if op == .and || op == .or {
            let a = bindPredicate(l, scope, clause: op.rawValue, mode: mode)
            let b = bindPredicate(r, scope, clause: op.rawValue, mode: mode)
            var list: [BoundExpr] = []
            for x in [a, b] {
                switch (op, x.kind) {
                case (.and, .and(let inner)), (.or, .or(let inner)): list += inner
                default: list.append(x)
                }
            }
            return BoundExpr(op == .and ? .and(list) : .or(list), .bit, range)
        }
        let a = bindExpr(l, scope, mode), b = bindExpr(r, scope, mode)
        let bop: BoundBinaryOperator
        switch op {
        case .add: bop = .add
        case .subtract: bop = .subtract
        case .multiply: bop = .multiply
        case .divide: bop = .divide
        case .modulo: bop = .modulo
        case .bitAnd: bop = .bitAnd
        case .bitOr: bop = .bitOr
        case .bitXor: bop = .bitXor
        case .equal: bop = .equal
        case .notEqual: bop = .notEqual
        case .less: bop = .less
        case .lessEqual: bop = .lessEqual
        case .greater: bop = .greater
        case .greaterEqual: bop = .greaterEqual
        case .and, .or: preconditionFailure("handled above")
        }
        if op.isComparison {
            checkComparable(a, b, l, r)
            return BoundExpr(.binary(bop, a, b), .bit, range)
        }
        requireScalar(a, l, "'\(op.rawValue)'")
        requireScalar(b, r, "'\(op.rawValue)'")
        return BoundExpr(.binary(bop, a, b), arithmeticType(bop, a.type, b.type), range)
    }

    func arithmeticType(_ op: BoundBinaryOperator, _ a: DataType, _ b: DataType) -> DataType {
        switch op {
        case .bitAnd, .bitOr, .bitXor:
            if a == .bit && b == .bit { return .bit }
            return a == .any || b == .any ? .any : .bigint
        case .add where a == .nvarchar && b == .nvarchar:
            return .nvarchar
        default:
            if a == .any || b == .any { return .any }
            if a == .float || b == .float { return .float }
            if a.isNumeric && b.isNumeric { return .bigint }
            return .any
        }
    }

    /// Reports a record or array used where a scalar is needed.
    mutating func requireScalar(_ b: BoundExpr, _ e: Expr, _ what: String) {
        guard b.type.isRecord || b.type == .array else { return }
        diagnostics.append(.error("SAQL2014", "\(what) needs a scalar, but '\(sourceText(e))' is a \(b.type)", at: e.range,
                                  helps: recordHelps(b, e)))
    }

    /// Reports comparisons between a record or array and a scalar, with a fix for anomaly records.
    mutating func checkComparable(_ a: BoundExpr, _ b: BoundExpr, _ ea: Expr, _ eb: Expr) {
        for (x, ex, other) in [(a, ea, b), (b, eb, a)] where x.type.isRecord || x.type == .array {
            if other.type.isRecord || other.type == .array || other.type == .any && x.type == .array { continue }
            diagnostics.append(.error("SAQL2015", "cannot compare a \(x.type) with \(other.type == .any ? "a scalar" : other.type.description)",
                                      at: ex.range, notes: recordNotes(x), helps: recordHelps(x, ex)))
            return
        }
    }

    private func recordNotes(_ x: BoundExpr) -> [Diagnostic.Note] {
        guard case .record(let fields?) = x.type else { return [] }
        return [.init("the record has fields " + fields.map { "\($0.name): \($0.type)" }.joined(separator: ", "))]
    }

    private func recordHelps(_ x: BoundExpr, _ e: Expr) -> [Diagnostic.Help] {
        guard case .record(let fields?) = x.type, let first = fields.first else { return [] }
        let text = sourceText(e)
        let fix = "GetRecordPropertyValue(\(text), '\(first.name)')"
        return [.init("read one field of the record: \(fix)", replacing: e.range, with: fix)]
    }

    mutating func bindCase(_ c: CaseExpr, _ scope: Scope, _ mode: AggregateMode, _ range: SourceRange) -> BoundExpr {
        let operand = c.operand.map { bindExpr($0, scope, mode) }
        var whens: [BoundWhen] = []
        for w in c.whens {
            var cond: BoundExpr
            if let operand {
                let v = bindExpr(w.condition, scope, mode)
                cond = BoundExpr(.binary(.equal, operand, v), .bit, w.condition.range)
            } else {
                cond = bindPredicate(w.condition, scope, clause: "WHEN", mode: mode)
            }
            whens.append(BoundWhen(condition: cond, result: bindExpr(w.result, scope, mode)))
            _ = cond
        }
        let elseResult = c.elseResult.map { bindExpr($0, scope, mode) }
        let types = Set(whens.map(\.result.type) + (elseResult.map { [$0.type] } ?? []))
        var type = types.count == 1 ? types.first ?? .any : .any
        if types == [.bigint, .float] { type = .float }
        return BoundExpr(.caseWhen(whens, else: elseResult), type, range)
    }
}
