/// Expression grammar, loosest binding first (T-SQL precedence; see Grammar.md):
/// OR < AND < NOT < predicates (comparison, LIKE, BETWEEN, IN, IS NULL) < + - & | ^ < * / % < unary - + ~.
extension Parser {
    mutating func parseExpr(allowStar: Bool = false) -> Expr {
        nesting += 1
        defer { nesting -= 1 }
        guard descend() else { return .missing(at: current.range) }
        defer { depth -= 1 }
        return parseOr(allowStar)
    }

    private mutating func parseOr(_ allowStar: Bool) -> Expr {
        let base = depth
        defer { depth = base }
        var left = parseAnd(allowStar)
        while accept("OR") != nil, descend() {
            let right = parseAnd(false)
            left = Expr(.binary(.or, left, right), left.range.union(right.range))
        }
        return left
    }

    private mutating func parseAnd(_ allowStar: Bool) -> Expr {
        let base = depth
        defer { depth = base }
        var left = parseNot(allowStar)
        while accept("AND") != nil, descend() {
            let right = parseNot(false)
            left = Expr(.binary(.and, left, right), left.range.union(right.range))
        }
        return left
    }

    private mutating func parseNot(_ allowStar: Bool) -> Expr {
        if let not = accept("NOT") {
            guard descend() else { return .missing(at: not.range) }
            defer { depth -= 1 }
            let operand = parseNot(false)
            return Expr(.unary(.not, operand), not.range.union(operand.range))
        }
        return parsePredicate(allowStar)
    }

    private mutating func parsePredicate(_ allowStar: Bool) -> Expr {
        let left = parseAdditive(allowStar)
        if let op = comparisonOperator() {
            advance()
            let right = parseAdditive(false)
            let e = Expr(.binary(op.0, left, right), left.range.union(right.range))
            return op.negate ? Expr(.unary(.not, e), e.range) : e
        }
        let negated = at("NOT") && (peek(1).isKeyword("BETWEEN") || peek(1).isKeyword("LIKE") || peek(1).isKeyword("IN"))
        if negated { advance() }
        if accept("BETWEEN") != nil {
            let low = parseAdditive(false)
            expect("AND", " in BETWEEN")
            let high = parseAdditive(false)
            return Expr(.between(left, low: low, high: high, negated: negated), left.range.union(high.range))
        }
        if accept("LIKE") != nil {
            let pattern = parseAdditive(false)
            return Expr(.like(left, pattern: pattern, negated: negated), left.range.union(pattern.range))
        }
        if accept("IN") != nil {
            expect(.lparen, " after IN")
            var list: [Expr] = []
            if !at(.rparen) { list = parseExprList() }
            let end = current.range
            expect(.rparen, " to close the IN list")
            return Expr(.inList(left, list, negated: negated), left.range.union(end))
        }
        if accept("IS") != nil {
            let not = accept("NOT") != nil
            let end = current.range
            expect("NULL", " after IS")
            return Expr(.isNull(left, negated: not), left.range.union(end))
        }
        return left
    }

    /// The comparison at the current token; `!<` and `!>` are read as negated `<` and `>`.
    private func comparisonOperator() -> (BinaryOperator, negate: Bool)? {
        guard case .punct(let p) = current.kind else { return nil }
        switch p {
        case .equal: return (.equal, false)
        case .notEqual, .bangEqual: return (.notEqual, false)
        case .less: return (.less, false)
        case .lessEqual: return (.lessEqual, false)
        case .greater: return (.greater, false)
        case .greaterEqual: return (.greaterEqual, false)
        case .notLess: return (.less, true)
        case .notGreater: return (.greater, true)
        default: return nil
        }
    }

    private mutating func parseAdditive(_ allowStar: Bool) -> Expr {
        let base = depth
        defer { depth = base }
        var left = parseMultiplicative(allowStar)
        while case .punct(let p) = current.kind {
            let op: BinaryOperator
            switch p {
            case .plus: op = .add
            case .minus: op = .subtract
            case .ampersand: op = .bitAnd
            case .pipe: op = .bitOr
            case .caret: op = .bitXor
            default: return left
            }
            advance()
            guard descend() else { return left }
            let right = parseMultiplicative(false)
            left = Expr(.binary(op, left, right), left.range.union(right.range))
        }
        return left
    }

    private mutating func parseMultiplicative(_ allowStar: Bool) -> Expr {
        let base = depth
        defer { depth = base }
        var left = parseUnary(allowStar)
        while case .punct(let p) = current.kind {
            let op: BinaryOperator
            switch p {
            case .star: op = .multiply
            case .slash: op = .divide
            case .percent: op = .modulo
            default: return left
            }
            advance()
            guard descend() else { return left }
            let right = parseUnary(false)
            left = Expr(.binary(op, left, right), left.range.union(right.range))
        }
        return left
    }

    private mutating func parseUnary(_ allowStar: Bool) -> Expr {
        if case .punct(let p) = current.kind, p == .minus || p == .plus || p == .tilde {
            let t = advance()
            guard descend() else { return .missing(at: t.range) }
            defer { depth -= 1 }
            let operand = parseUnary(false)
            let op: UnaryOperator = p == .minus ? .negate : p == .plus ? .plus : .bitwiseNot
            return Expr(.unary(op, operand), t.range.union(operand.range))
        }
        return parsePostfix(allowStar)
    }

    private mutating func parsePostfix(_ allowStar: Bool) -> Expr {
        let base = depth
        defer { depth = base }
        var e = parsePrimary()
        while at(.dot), descend() {
            let dot = advance()
            if allowStar, let star = accept(.star) {
                return Expr(.star(e), e.range.union(star.range))
            }
            guard let member = parseMemberName() else {
                return Expr(.member(e, Name("", range: dot.range)), e.range.union(dot.range))
            }
            if at(.lparen), let parts = nameChain(e) {
                e = parseCall(name: parts + [member], start: e.range)
            } else {
                e = Expr(.member(e, member), e.range.union(member.range))
            }
        }
        return e
    }

    /// A member after `.`: any identifier (keywords included), `[bracketed]`, `"quoted"` or a number.
    private mutating func parseMemberName() -> Name? {
        let t = current
        switch t.kind {
        case .identifier: advance(); return Name(t.text, range: t.range)
        case .bracketedIdentifier: advance(); return Name(t.text, range: t.range, quoting: .brackets)
        case .quotedIdentifier: advance(); return Name(t.text, range: t.range, quoting: .doubleQuotes)
        case .integer: advance(); return Name(t.text, range: t.range, quoting: .brackets)
        default:
            error("SAQL1012", "expected a field name after '.', found \(describe(t))")
            return nil
        }
    }

    /// The dotted names of `a.b.c` when the expression is a plain name chain.
    private func nameChain(_ e: Expr) -> [Name]? {
        switch e.kind {
        case .identifier(let n): return [n]
        case .member(let base, let n): return nameChain(base).map { $0 + [n] }
        default: return nil
        }
    }

    mutating func parsePrimary() -> Expr {
        let t = current
        switch t.kind {
        case .integer:
            advance()
            return Expr(.literal(.integer(t.text)), t.range)
        case .float:
            advance()
            return Expr(.literal(.float(t.text)), t.range)
        case .string:
            advance()
            return Expr(.literal(.string(t.text)), t.range)
        case .bracketedIdentifier:
            advance()
            return Expr(.identifier(Name(t.text, range: t.range, quoting: .brackets)), t.range)
        case .quotedIdentifier:
            advance()
            return Expr(.identifier(Name(t.text, range: t.range, quoting: .doubleQuotes)), t.range)
        case .punct(.lparen):
            advance()
            var inner = parseExpr()
            let end = current.range
            expect(.rparen, " to close the parenthesis")
            inner.range = t.range.union(end)
            return inner
        case .punct(.star):
            advance()
            return Expr(.star(nil), t.range)
        case .identifier:
            if t.isKeyword("NULL") { advance(); return Expr(.literal(.null), t.range) }
            if t.isKeyword("CASE") { return parseCase() }
            if (t.isKeyword("CAST") || t.isKeyword("TRY_CAST")) && peek(1).isPunct(.lparen) { return parseCast() }
            if isReserved(t) && !((t.isKeyword("LEFT") || t.isKeyword("RIGHT")) && peek(1).isPunct(.lparen)) {
                let upper = t.text.uppercased()
                // `TIMESTAMP BY Timestamp`: a clause word not followed by its clause is a column.
                guard let follower = Self.clauseWords[upper], !peek(1).isKeyword(follower) else {
                    error("SAQL1015", "expected an expression, found \(describe(t))")
                    return .missing(at: t.range)
                }
                advance()
                if !Self.unreservedInASA.contains(upper) {
                    error("SAQL1031", "'\(t.text)' is a reserved word; write [\(t.text)]", at: t.range,
                          helps: [.init("a column named like a keyword is written in brackets", replacing: t.range, with: "[\(t.text)]")])
                }
                return Expr(.identifier(Name(t.text, range: t.range, quoting: .brackets)), t.range)
            }
            advance()
            let name = Name(t.text, range: t.range)
            if at(.lparen) { return parseCall(name: [name], start: t.range) }
            return Expr(.identifier(name), t.range)
        case .invalid:
            advance()  // the lexer already reported it
            return .missing(at: t.range)
        default:
            error("SAQL1015", "expected an expression, found \(describe(t))")
            return .missing(at: t.kind == .endOfFile ? SourceRange(start: previousEnd, end: previousEnd) : t.range)
        }
    }

    private mutating func parseCase() -> Expr {
        let start = advance().range
        var operand: Expr?
        if !at("WHEN") { operand = parseExpr() }
        var whens: [CaseExpr.WhenClause] = []
        while accept("WHEN") != nil {
            let cond = parseExpr()
            expect("THEN", " in CASE")
            let result = parseExpr()
            whens.append(.init(condition: cond, result: result))
        }
        if whens.isEmpty { error("SAQL1016", "CASE needs at least one WHEN clause") }
        var elseResult: Expr?
        if accept("ELSE") != nil { elseResult = parseExpr() }
        let end = current.range
        expect("END", " to close CASE")
        return Expr(.caseWhen(CaseExpr(operand: operand, whens: whens, elseResult: elseResult)), start.union(end))
    }

    private mutating func parseCast() -> Expr {
        let kw = advance()
        advance()  // (
        let operand = parseExpr()
        expect("AS", " in \(kw.text.uppercased())")
        let typeStart = current.range
        var typeName = ""
        if current.kind == .identifier || current.kind == .bracketedIdentifier {
            typeName = advance().text
            if accept(.lparen) != nil {
                if current.kind == .identifier || current.kind == .integer {
                    typeName += "(\(advance().text))"
                } else {
                    error("SAQL1017", "expected a type length such as max, found \(describe(current))")
                }
                expect(.rparen, " after the type length")
            }
        } else {
            error("SAQL1017", "expected a type name, found \(describe(current))",
                  helps: [.init("types are bigint, float, nvarchar(max), datetime, bit, record and array")])
        }
        let type = TypeName(name: typeName, range: typeStart.union(tokens[index - 1].range))
        let end = current.range
        expect(.rparen, " to close \(kw.text.uppercased())")
        return Expr(.cast(operand, type, isTry: kw.isKeyword("TRY_CAST")), kw.range.union(end))
    }

    mutating func parseCall(name: [Name], start: SourceRange) -> Expr {
        let nameRange = start.union(name.last?.range ?? start)
        advance()  // (
        var distinct = false
        var args: [Expr] = []
        if !at(.rparen) {
            if accept("DISTINCT") != nil { distinct = true } else { _ = accept("ALL") }
            args = [parseExpr()]
            while accept(.comma) != nil { args.append(parseExpr()) }
        }
        var end = current.range
        expect(.rparen, " to close the call to '\(name.map(\.text).joined(separator: "."))'")
        var withinGroup: [OrderItem]?
        if at("WITHIN") {
            advance()
            expect("GROUP", " after WITHIN")
            expect(.lparen)
            expect("ORDER")
            expect("BY")
            withinGroup = parseOrderItems()
            end = current.range
            expect(.rparen)
        }
        var over: OverClause?
        if at("OVER") {
            over = parseOver()
            end = over?.range ?? end
        }
        let call = FunctionCall(name: name, arguments: args, distinct: distinct, over: over, withinGroup: withinGroup,
                                hasParentheses: true, nameRange: nameRange)
        return Expr(.call(call), start.union(end))
    }

    private mutating func parseOver() -> OverClause {
        let start = advance().range
        var clause = OverClause(partitionBy: [], orderBy: [], limitDuration: nil, when: nil, range: start)
        guard expect(.lparen, " after OVER") else { return clause }
        while !at(.rparen) && !atEnd {
            if at("PARTITION") {
                advance()
                expect("BY", " after PARTITION")
                clause.partitionBy = parseExprList()
            } else if at("ORDER") || at("ORDER_BY") {
                if advance().isKeyword("ORDER") { expect("BY", " after ORDER") }
                clause.orderBy = parseOrderItems()
            } else if at("LIMIT") {
                let s = advance().range
                expect("DURATION", " after LIMIT")
                if let spec = parseDurationArgs(start: s) { clause.limitDuration = spec }
            } else if accept("WHEN") != nil {
                clause.when = parseExpr()
            } else if correctMisspelling(of: ["PARTITION", "ORDER", "LIMIT", "WHEN"], "PARTITION BY, ORDER BY, LIMIT DURATION or WHEN in OVER") {
                continue
            } else {
                error("SAQL1018", "expected PARTITION BY, ORDER BY, LIMIT DURATION or WHEN in OVER, found \(describe(current))")
                skipBalanced()
                clause.range = start.union(tokens[index - 1].range)
                return clause
            }
        }
        clause.range = start.union(current.range)
        expect(.rparen, " to close OVER")
        return clause
    }

    /// Reads `(unit, size)`.
    mutating func parseDurationArgs(start: SourceRange) -> DurationSpec? {
        guard expect(.lparen) else { return nil }
        guard let unit = parseName("a time unit", allowReserved: true) else { skipBalanced(); return nil }
        expect(.comma, " after the time unit")
        let size = parseExpr()
        let end = current.range
        expect(.rparen)
        return DurationSpec(unit: unit, size: size, range: start.union(end))
    }
}
