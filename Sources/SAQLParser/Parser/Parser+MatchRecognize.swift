extension Parser {
    static let matchRecognizeClauses = ["LIMIT", "PARTITION", "MEASURES", "AFTER", "PATTERN", "DEFINE"]

    /// `MATCH_RECOGNIZE ( clauses ) [AS alias]`, the current token being MATCH_RECOGNIZE. Clauses may
    /// come in any order; PATTERN and MEASURES are required.
    mutating func parseMatchRecognize() -> MatchRecognizeClause {
        let start = advance().range
        var clause = MatchRecognizeClause(limitDuration: nil, partitionBy: [], measures: [], pattern: .sequence([]), definitions: [],
                                          alias: nil, keyword: start, range: start)
        guard expect(.lparen, " after MATCH_RECOGNIZE") else { return clause }
        var sawPattern = false, sawMeasures = false
        while !at(.rparen) && !atEnd {
            if at("LIMIT") {
                let s = advance().range
                expect("DURATION", " after LIMIT")
                clause.limitDuration = parseDurationArgs(start: s)
            } else if at("PARTITION") {
                advance()
                expect("BY", " after PARTITION")
                clause.partitionBy = parseExprList()
            } else if accept("MEASURES") != nil {
                sawMeasures = true
                repeat {
                    let e = parseExpr()
                    guard expect("AS", " after a measure (each measure needs a name)") else { break }
                    let alias = parseName("a measure name", allowReserved: true) ?? Name("", range: current.range)
                    clause.measures.append(.init(expr: e, alias: alias))
                } while accept(.comma) != nil
            } else if at("AFTER") {
                let s = advance().range
                // ASA has one skip mode: the next match may start at the event after this match's first.
                for word in ["MATCH", "SKIP", "TO", "NEXT", "ROW"] where accept(word) == nil {
                    error("SAQL1026", "expected AFTER MATCH SKIP TO NEXT ROW", at: s.union(current.range),
                          helps: [.init("ASA supports only AFTER MATCH SKIP TO NEXT ROW")])
                    // Resume at the next clause.
                    while !atEnd && !at(.rparen) && !Self.matchRecognizeClauses.contains(where: at) { advance() }
                    break
                }
            } else if accept("PATTERN") != nil {
                sawPattern = true
                if expect(.lparen, " after PATTERN") {
                    clause.pattern = parsePatternAlternation()
                    expect(.rparen, " to close PATTERN")
                }
            } else if accept("DEFINE") != nil {
                repeat {
                    guard let name = parseName("a pattern variable", allowReserved: true) else { break }
                    expect("AS", " after the pattern variable")
                    clause.definitions.append(.init(name: name, condition: parseExpr()))
                } while accept(.comma) != nil
            } else if correctMisspelling(of: Self.matchRecognizeClauses, "LIMIT DURATION, PARTITION BY, MEASURES, AFTER MATCH, PATTERN or DEFINE") {
                continue
            } else {
                error("SAQL1027", "expected LIMIT DURATION, PARTITION BY, MEASURES, AFTER MATCH, PATTERN or DEFINE, found \(describe(current))")
                skipBalanced()
                clause.range = start.union(tokens[index - 1].range)
                return clause
            }
        }
        let end = current.range
        expect(.rparen, " to close MATCH_RECOGNIZE")
        if !sawPattern { error("SAQL1028", "MATCH_RECOGNIZE needs a PATTERN", at: start) }
        if !sawMeasures { error("SAQL1028", "MATCH_RECOGNIZE needs MEASURES (the columns of each match's row)", at: start) }
        if accept("AS") != nil {
            clause.alias = parseName("an alias after AS")
        } else if current.kind == .identifier && !isReserved(current) || current.kind == .bracketedIdentifier {
            clause.alias = parseName("an alias")
        }
        clause.range = start.union(clause.alias?.range ?? end)
        return clause
    }

    /// `a b | c d ...`
    private mutating func parsePatternAlternation() -> RowPattern {
        var options = [parsePatternSequence()]
        while accept(.pipe) != nil { options.append(parsePatternSequence()) }
        return options.count == 1 ? options[0] : .alternation(options)
    }

    private mutating func parsePatternSequence() -> RowPattern {
        var items: [RowPattern] = []
        while !at(.rparen) && !at(.pipe) && !atEnd {
            let before = index
            items.append(parsePatternAtom())
            if index == before { break }
        }
        if items.isEmpty { error("SAQL1029", "expected a pattern variable, found \(describe(current))") }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    /// A variable, `.` or `( pattern )`, with an optional quantifier.
    private mutating func parsePatternAtom() -> RowPattern {
        let start = current.range
        var atom: RowPattern
        if accept(.lparen) != nil {
            // Pattern groups nest under the same limit as parenthesized expressions.
            nesting += 1
            defer { nesting -= 1 }
            guard descend() else { return .sequence([]) }
            defer { depth -= 1 }
            atom = parsePatternAlternation()
            expect(.rparen, " to close the pattern group")
        } else if accept(.dot) != nil {
            atom = .any(start)
        } else if current.kind == .identifier || current.kind == .bracketedIdentifier {
            atom = .variable(Name(advance().text, range: start))
        } else {
            error("SAQL1029", "expected a pattern variable, '.' or '(', found \(describe(current))")
            advance()
            return .sequence([])
        }
        while true {
            let q = current.range
            if accept(.star) != nil {
                atom = .quantified(atom, min: 0, max: nil, range: start.union(q))
            } else if accept(.plus) != nil {
                atom = .quantified(atom, min: 1, max: nil, range: start.union(q))
            } else if accept(.question) != nil {
                atom = .quantified(atom, min: 0, max: 1, range: start.union(q))
            } else if accept(.lbrace) != nil {
                let read = parseCount()
                let low = read ?? 0
                var high: Int? = low, readHigh = true
                if accept(.comma) != nil {
                    high = at(.rbrace) ? nil : parseCount()
                    readHigh = high != nil || at(.rbrace)
                }
                let end = current.range
                expect(.rbrace, " to close the repetition")
                if read != nil, readHigh, let h = high, h < low || h == 0 {
                    error("SAQL1030", "the repetition {\(low),\(h)} matches nothing", at: q.union(end))
                }
                atom = .quantified(atom, min: low, max: high, range: start.union(end))
            } else {
                return atom
            }
        }
    }

    private mutating func parseCount() -> Int? {
        if current.kind == .integer, Int(current.text) == nil {
            error("SAQL1030", "the repetition count \(current.text) is too large", at: current.range)
            advance()
            return nil
        }
        guard current.kind == .integer, let n = Int(current.text), n >= 0 else {
            error("SAQL1030", "expected a repetition count, found \(describe(current))")
            return nil
        }
        advance()
        return n
    }
}
