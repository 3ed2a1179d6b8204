extension Parser {
    mutating func parseQueryExpression() -> QueryExpression {
        var left = QueryExpression.select(parseSelectCore())
        while at("UNION") {
            advance()
            let all = accept("ALL") != nil
            if !at("SELECT") && !misspells("SELECT") {
                error("SAQL1011", "expected 'SELECT' after UNION, found \(describe(current))")
                break
            }
            let right = QueryExpression.select(parseSelectCore())
            left = .union(left, right, all: all, range: left.range.union(right.range))
        }
        return left
    }

    /// A SELECT; anything else where one must start is an error (a misspelt SELECT is read as one).
    mutating func parseSelectCore() -> SelectCore {
        let start = current.range, before = index
        if !expect("SELECT") && index == before {
            // Not a SELECT at all: skip what should have been one, so its words raise nothing more.
            if current.kind == .identifier || current.kind == .bracketedIdentifier, var last = diagnostics.popLast() {
                last.helps.append(.init("a query starts with SELECT: write SELECT * FROM \(current.text)",
                                        replacing: current.range, with: "SELECT * FROM \(current.text)"))
                diagnostics.append(last)
            }
            var depth = 0
            while !atEnd && !(depth == 0 && (at(.rparen) || at(.semicolon) || atStatementStart)) {
                if at(.lparen) { depth += 1 } else if at(.rparen) { depth -= 1 }
                advance()
            }
            return SelectCore(distinct: false, top: nil, items: [], into: nil, from: nil, whereClause: nil, groupBy: nil, having: nil,
                              range: start)
        }
        let distinct = accept("DISTINCT") != nil
        if !distinct { _ = accept("ALL") }
        var top: Expr?
        if accept("TOP") != nil { top = parsePrimary() }
        var items: [SelectItem] = []
        while true {
            items.append(parseSelectItem())
            if let comma = accept(.comma) {
                // `SELECT a, b, FROM`: a trailing comma, reported with its removal as the fix.
                if at("FROM") || at("INTO") || atEnd {
                    error("SAQL1015", "expected an expression, found \(describe(current))",
                          helps: [.init("remove the comma after the last select item", replacing: comma.range, with: "")])
                    break
                }
                continue
            }
            guard startsSelectItem else { break }
            // `SELECT Make CASE ...`: a forgotten comma, reported once; the list goes on.
            diagnostics.append(.error("SAQL1011", "expected ',' between select items, found \(describe(current))",
                                      at: SourceRange(start: previousEnd, end: previousEnd),
                                      helps: [.init("add a comma", replacing: SourceRange(start: previousEnd, end: previousEnd), with: ",")]))
        }
        var into: Name?
        if at("INTO") || misspellsClause("INTO") {
            expect("INTO")
            into = parseName("an output name after INTO", allowReserved: true)
        }
        var from: FromClause?
        if at("FROM") || misspellsClause("FROM") { from = parseFrom() }
        var whereClause: Expr?
        if at("WHERE") || misspellsClause("WHERE") {
            expect("WHERE")
            whereClause = parseExpr()
        }
        var groupBy: [Expr]?
        if at("GROUP") || misspells("GROUP", before: "BY") {
            expect("GROUP")
            expect("BY", " after GROUP")
            groupBy = parseExprList()
        }
        var having: Expr?
        if at("HAVING") || misspellsClause("HAVING") {
            expect("HAVING")
            having = parseExpr()
        }
        if at("ORDER") {
            error("SAQL1021", "ORDER BY is not supported in a SELECT statement",
                  helps: [.init("streams have no global order; use CollectTop(n) OVER (ORDER BY ...) for ranked results")])
            advance()
            _ = accept("BY")
            _ = parseOrderItems()
        }
        return SelectCore(distinct: distinct, top: top, items: items, into: into, from: from,
                          whereClause: whereClause, groupBy: groupBy, having: having,
                          range: start.union(tokens[max(0, index - 1)].range))
    }

    mutating func parseSelectItem() -> SelectItem {
        let start = current.range
        if let star = accept(.star) { return .star(star.range) }
        // alias = expr
        if current.kind == .identifier && !isReserved(current) || current.kind == .bracketedIdentifier,
           peek(1).isPunct(.equal) {
            let t = advance()
            advance()
            let e = parseExpr()
            let quoting: Name.Quoting = t.kind == .bracketedIdentifier ? .brackets : .none
            return .expr(e, alias: Name(t.text, range: t.range, quoting: quoting))
        }
        let e = parseExpr(allowStar: true)
        if case .star(let base?) = e.kind { return .qualifiedStar(base, start.union(e.range)) }
        if accept("AS") != nil {
            if current.kind == .string {
                let t = advance()
                return .expr(e, alias: Name(t.text, range: t.range, quoting: .singleQuotes))
            }
            return .expr(e, alias: parseName("an alias after AS", allowReserved: true))
        }
        if current.kind == .bracketedIdentifier || current.kind == .quotedIdentifier
            || (current.kind == .identifier && !isReserved(current) && !["FROM", "INTO", "WHERE"].contains(where: misspellsClause)) {
            return .expr(e, alias: parseName("an alias"))
        }
        if current.kind == .string {
            let t = advance()
            return .expr(e, alias: Name(t.text, range: t.range, quoting: .singleQuotes))
        }
        return .expr(e, alias: nil)
    }

    /// True at a misspelling of a clause keyword that is followed by what the clause takes
    /// (`SELECT a FORM i`), so it is not read as an alias.
    func misspellsClause(_ keyword: String) -> Bool {
        guard misspells(keyword) else { return false }
        let next = peek(1)
        return next.kind == .bracketedIdentifier || next.kind == .quotedIdentifier || next.kind == .integer || next.kind == .string
            || (next.kind == .identifier && !isReserved(next)) || next.isPunct(.lparen)
    }

    /// True at a token that can only begin another select item here: an expression start that is
    /// not a clause keyword (or a misspelt one).
    var startsSelectItem: Bool {
        if at("CASE") || at("CAST") || at("TRY_CAST") || at("NULL") || at("NOT") { return true }
        switch current.kind {
        case .integer, .float, .string, .bracketedIdentifier, .quotedIdentifier: return true
        case .identifier:
            return !isReserved(current) && !["FROM", "INTO", "WHERE"].contains(where: misspellsClause) && !atClauseAfterSource
        default: return false
        }
    }

    /// True at a misspelling of `keyword` followed by `next` (`GRUOP BY`).
    func misspells(_ keyword: String, before next: String) -> Bool { misspells(keyword) && peek(1).isKeyword(next) }

    /// True at a word that begins a clause after a source, spelt right or nearly.
    var atClauseAfterSource: Bool {
        misspellsClause("WHERE") || misspellsClause("HAVING") || misspells("GROUP", before: "BY")
            || misspells("TIMESTAMP", before: "BY") || misspells("PARTITION", before: "BY")
    }

    mutating func parseFrom() -> FromClause {
        let start = current.range
        expect("FROM")
        let source = parseTableSource()
        var tail: [FromTail] = []
        while true {
            let s = current.range
            if at("JOIN") || at("INNER") || (at("LEFT") && (peek(1).isKeyword("JOIN") || peek(1).isKeyword("OUTER"))) {
                var kind = JoinClause.Kind.inner
                if accept("LEFT") != nil {
                    kind = .left
                    _ = accept("OUTER")
                } else {
                    _ = accept("INNER")
                }
                expect("JOIN")
                let right = parseTableSource()
                var on = Expr.missing(at: current.range)
                if expect("ON", " after the joined source") { on = parseExpr() }
                tail.append(.join(JoinClause(kind: kind, source: right, on: on, range: s.union(on.range))))
            } else if at("RIGHT") || at("FULL") {
                error("SAQL1022", "\(current.text.uppercased()) JOIN is not supported",
                      helps: [.init("SAQL supports INNER JOIN and LEFT OUTER JOIN; swap the sources for a LEFT JOIN")])
                advance()
                _ = accept("OUTER")
            } else if (at("CROSS") || at("OUTER")) && peek(1).isKeyword("APPLY") {
                let kind: ApplyClause.Kind = advance().isKeyword("CROSS") ? .cross : .outer
                advance()
                let fn = parseExpr()
                var alias: Name?
                if accept("AS") != nil {
                    alias = parseName("an alias after AS")
                } else if current.kind == .identifier && !isReserved(current) || current.kind == .bracketedIdentifier {
                    alias = parseName("an alias")
                }
                tail.append(.apply(ApplyClause(kind: kind, function: fn, alias: alias,
                                               range: s.union(tokens[index - 1].range))))
            } else {
                break
            }
        }
        return FromClause(source: source, tail: tail, range: start.union(tokens[index - 1].range))
    }

    mutating func parseTableSource() -> TableSource {
        let start = current.range
        // Any word names a source here (`FROM In` is unambiguous), keywords included.
        let name = parseName("an input or step name", allowReserved: true) ?? Name("", range: current.range)
        var source = TableSource(name: name, alias: nil, timestampBy: nil, partitionBy: nil, partitionCount: nil,
                                 matchRecognize: nil, range: start)
        if accept("AS") != nil {
            source.alias = parseName("an alias after AS")
        } else if current.kind == .identifier && !isReserved(current) && !atClauseAfterSource || current.kind == .bracketedIdentifier {
            source.alias = parseName("an alias")
        }
        while true {
            if at("TIMESTAMP") || misspells("TIMESTAMP", before: "BY") {
                let s = current.range
                expect("TIMESTAMP")
                expect("BY", " after TIMESTAMP")
                let e = parseExpr()
                var over: [Expr] = []
                if accept("OVER") != nil { over = parseExprList() }
                source.timestampBy = TimestampBy(expr: e, over: over, range: s.union(tokens[index - 1].range))
            } else if at("PARTITION") || misspells("PARTITION", before: "BY") {
                expect("PARTITION")
                expect("BY", " after PARTITION")
                source.partitionBy = parseExprList()
                if accept("INTO") != nil { source.partitionCount = parsePrimary() }
            } else if at("MATCH_RECOGNIZE") {
                source.matchRecognize = parseMatchRecognize()
            } else {
                break
            }
        }
        source.range = start.union(tokens[index - 1].range)
        return source
    }

    /// Skips tokens up to and including the `)` matching an already consumed `(`.
    mutating func skipBalanced() {
        var depth = 1
        while !atEnd {
            if at(.lparen) { depth += 1 }
            if at(.rparen) {
                depth -= 1
                if depth == 0 { advance(); return }
            }
            advance()
        }
        error("SAQL1011", "expected ')', found end of file")
    }

    mutating func parseExprList() -> [Expr] {
        var list = [parseExpr()]
        while accept(.comma) != nil { list.append(parseExpr()) }
        return list
    }

    mutating func parseOrderItems() -> [OrderItem] {
        var items: [OrderItem] = []
        repeat {
            let e = parseExpr()
            var desc = false
            if accept("DESC") != nil { desc = true } else { _ = accept("ASC") }
            items.append(OrderItem(expr: e, descending: desc))
        } while accept(.comma) != nil
        return items
    }
}
