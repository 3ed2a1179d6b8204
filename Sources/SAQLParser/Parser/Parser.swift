/// A total recursive-descent parser for SAQL job files: header statements plus the ASA query.
///
/// It never throws. Every problem becomes a ``Diagnostic``, and the returned ``Script`` holds
/// every statement that could be read, with `.missing` expressions where text was absent.
package struct Parser {
    var tokens: [Token]
    var index = 0
    var diagnostics: [Diagnostic]
    /// How deep the expression being read nests: parentheses, operators, calls and CASE each add a
    /// level, and so does each operator of a chain (`a + b + c` is a tree as deep as it is long).
    var depth = 0
    /// Set when an expression nests deeper than ``maxDepth``: the rest of the text is skipped and
    /// reports nothing more.
    var abandoned = false
    /// How many expressions enclose the one being read (parentheses, arguments, CASE branches):
    /// each costs the parser a dozen stack frames, so it has a tighter limit, ``maxNesting``.
    var nesting = 0

    /// The deepest an expression may nest, as DuckDB's `max_expression_depth` and Postgres's stack
    /// depth check: the binder, printers and evaluator walk expressions recursively, and a query
    /// text must not overflow their stacks.
    package static let maxDepth = 1000
    /// The deepest parentheses, calls and CASE may enclose one another.
    package static let maxNesting = 200

    /// Words that end an expression or a select item, so they are never read as implicit aliases.
    static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "HAVING", "INTO", "UNION", "JOIN", "INNER", "LEFT", "RIGHT", "FULL",
        "OUTER", "CROSS", "APPLY", "ON", "AS", "TIMESTAMP", "BY", "OVER", "PARTITION", "WITH", "AND", "OR", "NOT",
        "CASE", "WHEN", "THEN", "ELSE", "END", "IS", "NULL", "LIKE", "IN", "BETWEEN", "SET", "CREATE", "LIMIT",
        "ORDER", "MATCH_RECOGNIZE", "WITHIN", "DISTINCT", "TOP", "ALL", "ASC", "DESC",
    ]

    /// Reserved words that start a clause only when the given word follows (`TIMESTAMP BY`,
    /// `GROUP BY`, `LIMIT DURATION`, ...); anywhere else in an expression they name a column.
    package static let clauseWords: [String: String] = [
        "TIMESTAMP": "BY", "GROUP": "BY", "ORDER": "BY", "PARTITION": "BY", "LIMIT": "DURATION", "WITHIN": "GROUP",
    ]

    /// Keywords that continue a statement, for "did you mean" on a word left over after one.
    static let continuationKeywords = ["BETWEEN", "LIKE", "AND", "OR", "NOT", "IN", "IS", "FROM", "WHERE", "GROUP", "HAVING",
                                       "UNION", "JOIN", "ON", "INTO", "TIMESTAMP", "PARTITION", "OVER", "APPLY"]

    /// Words of ``reserved`` that ASA does not reserve: as a column name they need no brackets.
    static let unreservedInASA: Set<String> = ["PARTITION", "LIMIT", "WITHIN", "MATCH_RECOGNIZE"]

    /// Parses a job file or a bare ASA query.
    package static func parse(_ text: String) -> (script: Script, diagnostics: [Diagnostic]) {
        let (tokens, lexDiagnostics) = Lexer.tokenize(text)
        var parser = Parser(tokens: tokens, diagnostics: lexDiagnostics)
        let script = parser.parseScript()
        return (script, parser.diagnostics)
    }

    /// Parses a single expression; used by tools and tests.
    package static func parseExpression(_ text: String) -> (expr: Expr, diagnostics: [Diagnostic]) {
        let (tokens, lexDiagnostics) = Lexer.tokenize(text)
        var parser = Parser(tokens: tokens, diagnostics: lexDiagnostics)
        let e = parser.parseExpr()
        if !parser.atEnd { parser.error("SAQL1010", "unexpected \(parser.describe(parser.current)) after expression") }
        return (e, parser.diagnostics)
    }

    // MARK: token access

    var current: Token { tokens[index] }
    var atEnd: Bool { current.kind == .endOfFile }
    func peek(_ k: Int) -> Token { tokens[min(index + k, tokens.count - 1)] }
    var previousEnd: UInt32 { index > 0 ? tokens[index - 1].range.end : 0 }

    @discardableResult
    mutating func advance() -> Token {
        let t = current
        if !atEnd { index += 1 }
        return t
    }

    func at(_ word: String) -> Bool { current.isKeyword(word) }
    func at(_ p: Punct) -> Bool { current.isPunct(p) }

    mutating func accept(_ word: String) -> Token? { at(word) ? advance() : nil }
    mutating func accept(_ p: Punct) -> Token? { at(p) ? advance() : nil }

    /// Consumes `word` or reports it missing at the current token. A misspelling of `word`
    /// (`SELEKT` for `SELECT`) is reported with a fix and consumed, so parsing goes on as if it
    /// were right and one typo gives one error.
    @discardableResult
    mutating func expect(_ word: String, _ context: String = "") -> Bool {
        if accept(word) != nil { return true }
        let typo = misspells(word)
        error("SAQL1011", "expected '\(word)'\(context), found \(describe(current))", helps: typo ? [didYouMean(word)] : [])
        if typo { advance() }
        return false
    }

    /// True when the current token is a plain word close to `keyword` but not it.
    func misspells(_ keyword: String) -> Bool {
        current.kind == .identifier && !current.isKeyword(keyword) && !isReserved(current)
            && Suggest.closest(current.text, in: [keyword]) != nil
    }

    /// At a misspelling of one of `keywords`: reports it with the fix and reads the token as the
    /// keyword from here on, so the clause is parsed as meant. Returns whether it did.
    mutating func correctMisspelling(of keywords: [String], _ context: String) -> Bool {
        guard let keyword = keywords.first(where: misspells) else { return false }
        error("SAQL1011", "expected \(context), found \(describe(current))", helps: [didYouMean(keyword)])
        tokens[index].text = keyword
        return true
    }

    /// "did you mean" with the keyword as the replacement of the current token.
    func didYouMean(_ keyword: String) -> Diagnostic.Help {
        .init("did you mean '\(keyword)'?", replacing: current.range, with: keyword)
    }

    @discardableResult
    mutating func expect(_ p: Punct, _ context: String = "") -> Bool {
        if accept(p) != nil { return true }
        let range = p == .rparen || p == .comma || atEnd ? SourceRange(start: previousEnd, end: previousEnd) : current.range
        if abandoned { return false }
        diagnostics.append(.error("SAQL1011", "expected '\(p.rawValue)'\(context), found \(describe(current))", at: range))
        return false
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .endOfFile: return "end of file"
        case .string: return "string '\(t.text)'"
        default: return "'\(t.text)'"
        }
    }

    /// Reports at `range`, by default the current token (or the end of the last one at end of file).
    mutating func error(_ code: String, _ message: String, at range: SourceRange? = nil, helps: [Diagnostic.Help] = []) {
        let here = atEnd ? SourceRange(start: previousEnd, end: previousEnd) : current.range
        if abandoned { return }
        diagnostics.append(.error(code, message, at: range ?? here, helps: helps))
    }

    /// Goes one level deeper; false (after reporting it once and skipping the rest of the text)
    /// past ``maxDepth``. A caller that gets true undoes it with `depth -= 1` when done.
    mutating func descend() -> Bool {
        guard depth < Self.maxDepth, nesting <= Self.maxNesting else {
            if !abandoned {
                error("SAQL1040", nesting > Self.maxNesting ? "the expression nests more than \(Self.maxNesting) parentheses, calls or CASEs deep"
                                  : "the expression nests more than \(Self.maxDepth) levels deep",
                      helps: [.init("split it into steps (WITH) or simplify it; a long chain of operators counts one level per operator")])
                abandoned = true
                index = tokens.count - 1
            }
            return false
        }
        depth += 1
        return true
    }

    func isReserved(_ t: Token) -> Bool { t.kind == .identifier && Self.reserved.contains(t.text.uppercased()) }

    /// True at a token that starts a top-level statement.
    var atStatementStart: Bool { at("SELECT") || at("WITH") || at("SET") || at("CREATE") }

    /// Reads a name: a plain non-reserved identifier, `[bracketed]` or `"quoted"`.
    mutating func parseName(_ what: String, allowReserved: Bool = false) -> Name? {
        let t = current
        switch t.kind {
        case .identifier where allowReserved || !isReserved(t):
            advance()
            return Name(t.text, range: t.range)
        case .bracketedIdentifier:
            advance()
            return Name(t.text, range: t.range, quoting: .brackets)
        case .quotedIdentifier:
            advance()
            return Name(t.text, range: t.range, quoting: .doubleQuotes)
        default:
            error("SAQL1012", "expected \(what), found \(describe(t))")
            return nil
        }
    }

    /// Skips to the next statement start or `;` at parenthesis depth 0, after an error.
    mutating func synchronize() {
        var depth = 0
        while !atEnd {
            if at(.lparen) { depth += 1 } else if at(.rparen) { depth = max(0, depth - 1) }
            if depth == 0 && (at(.semicolon) || atStatementStart) { return }
            advance()
        }
    }

    // MARK: script

    mutating func parseScript() -> Script {
        var statements: [Statement] = []
        while !atEnd {
            if accept(.semicolon) != nil { continue }
            let before = index
            let errorsBefore = diagnostics.count
            if let s = parseStatement() { statements.append(s) }
            if !atEnd && !at(.semicolon) && !atStatementStart {
                if diagnostics.count == errorsBefore {
                    let near = Self.continuationKeywords.first(where: misspells)
                    error("SAQL1013", "unexpected \(describe(current)); expected the end of the statement",
                          helps: near.map { [didYouMean($0)] } ?? [])
                }
                synchronize()
            }
            if index == before { advance() }
        }
        let end = tokens.last?.range.end ?? 0
        return Script(statements: statements, range: SourceRange(start: 0, end: end))
    }

    mutating func parseStatement() -> Statement? {
        if at("SELECT") { return .select(parseQueryExpression()) }
        if at("WITH") { return parseWith() }
        if at("SET") { return parseSet() }
        if at("CREATE") { return parseCreate() }
        let near = ["SELECT", "WITH", "CREATE", "SET"].first(where: misspells)
        // A misspelt SELECT is reported where a SELECT is expected; the others here.
        if near == "SELECT" { return .select(parseQueryExpression()) }
        error("SAQL1014", "expected a statement (SELECT, WITH, SET or CREATE), found \(describe(current))",
              helps: near.map { [didYouMean($0)] } ?? [])
        switch near {
        case "WITH": return parseWith()
        case "CREATE": return parseCreate()
        case "SET": return parseSet()
        default: return nil
        }
    }

    mutating func parseWith() -> Statement {
        let start = advance().range
        var ctes: [CommonTableExpression] = []
        repeat {
            let cteStart = current.range
            guard let name = parseName("a step name after WITH") else { break }
            expect("AS", " after the step name")
            guard expect(.lparen, " before the step's query") else { break }
            let query = parseQueryExpression()
            if let into = query.first.into {
                error("SAQL1020", "INTO is not allowed inside WITH", at: into.range,
                      helps: [.init("move INTO to a SELECT statement that reads from '\(name.text)'")])
            }
            expect(.rparen, " to close the step '\(name.text)'")
            ctes.append(CommonTableExpression(name: name, query: query, range: cteStart.union(tokens[index - 1].range)))
        } while accept(.comma) != nil
        return .with(ctes, range: start.union(tokens[max(0, index - 1)].range))
    }
}
