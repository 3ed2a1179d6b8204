extension Parser {
    mutating func parseQueryExpression() -> QueryExpression {
        var left = QueryExpression.select(parseSelectCore())
        while at("UNION") {
            advance()
            let all = accept("ALL") != nil
            if !at("SELECT") {
                error("SAQL1011", "expected 'SELECT' after UNION, found \(describe(current))")
                break
            }
            let right = QueryExpression.select(parseSelectCore())
            left = .union(left, right, all: all, range: left.range.union(right.range))
        }
        return left
    }

    mutating func parseSelectCore() -> SelectCore {
        let start = advance().range  // SELECT
        let distinct = accept("DISTINCT") != nil
        if !distinct { _ = accept("ALL") }
        var top: Expr?
        if accept("TOP") != nil { top = parsePrimary() }
        var items: [SelectItem] = []
        repeat {
            items.append(parseSelectItem())
        } while accept(.comma) != nil
        var into: Name?
        if accept("INTO") != nil { into = parseName("an output name after INTO", allowReserved: true) }
        var from: FromClause?
        if at("FROM") { from = parseFrom() }
        var whereClause: Expr?
        if accept("WHERE") != nil { whereClause = parseExpr() }
        var groupBy: [Expr]?
        if at("GROUP") {
            advance()
            expect("BY", " after GROUP")
            groupBy = parseExprList()
        }
        var having: Expr?
        if accept("HAVING") != nil { having = parseExpr() }
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
            || (current.kind == .identifier && !isReserved(current)) {
            return .expr(e, alias: parseName("an alias"))
        }
        if current.kind == .string {
            let t = advance()
            return .expr(e, alias: Name(t.text, range: t.range, quoting: .singleQuotes))
        }
        return .expr(e, alias: nil)
    }

    mutating func parseFrom() -> FromClause {
        let start = advance().range  // FROM
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
        } else if current.kind == .identifier && !isReserved(current) || current.kind == .bracketedIdentifier {
            source.alias = parseName("an alias")
        }
        while true {
            if at("TIMESTAMP") {
                let s = advance().range
                expect("BY", " after TIMESTAMP")
                let e = parseExpr()
                var over: [Expr] = []
                if accept("OVER") != nil { over = parseExprList() }
                source.timestampBy = TimestampBy(expr: e, over: over, range: s.union(tokens[index - 1].range))
            } else if at("PARTITION") {
                advance()
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
