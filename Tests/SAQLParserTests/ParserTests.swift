import SAQLParser
import Testing

/// Finds `1️⃣`-style markers in source text, returning the text without them and each marker's byte offset.
func extractMarkers(_ marked: String) -> (text: String, markers: [String: UInt32]) {
    var text = ""
    var markers: [String: UInt32] = [:]
    for ch in marked {
        if let v = ch.unicodeScalars.first?.value, (0x31...0x39).contains(v), ch.unicodeScalars.count == 3 {
            markers[String(ch)] = UInt32(text.utf8.count)
        } else {
            text.append(ch)
        }
    }
    return (text, markers)
}

struct ParserTests {
    @Test func parsesStatementsAndHeader() {
        let (script, diags) = Parser.parse("""
            SET out_of_order_tolerance = '5s';
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'a.jsonl', properties.sasl.mechanism = 'PLAIN');
            CREATE OUTPUT Out WITH (connector = 'stdout');
            CREATE TABLE Telemetry (DeviceId nvarchar(max), Temperature float);
            WITH S AS (SELECT * FROM Telemetry TIMESTAMP BY Time OVER DeviceId)
            SELECT DeviceId INTO Out FROM S
            """)
        #expect(diags.isEmpty)
        #expect(script.statements.count == 6)
        guard case .createEndpoint(let input) = script.statements[1] else { Issue.record("expected CREATE INPUT"); return }
        #expect(input.options.map(\.key.text) == ["connector", "path", "properties.sasl.mechanism"])
        guard case .createTable(let t) = script.statements[3] else { Issue.record("expected CREATE TABLE"); return }
        #expect(t.columns.map(\.type.name) == ["nvarchar(max)", "float"])
        guard case .with(let ctes, _) = script.statements[4] else { Issue.record("expected WITH"); return }
        #expect(ctes[0].query.first.from?.source.timestampBy?.over.count == 1)
    }

    @Test func precedenceFollowsTSQL() {
        let (e, diags) = Parser.parseExpression("a OR b AND NOT c = 1 + 2 * -3")
        #expect(diags.isEmpty)
        guard case .binary(.or, _, let right) = e.kind, case .binary(.and, _, let not) = right.kind,
              case .unary(.not, let cmp) = not.kind, case .binary(.equal, _, let sum) = cmp.kind,
              case .binary(.add, _, let product) = sum.kind, case .binary(.multiply, _, let neg) = product.kind,
              case .unary(.negate, _) = neg.kind else {
            Issue.record("unexpected tree: \(e.kind)")
            return
        }
    }

    @Test func betweenBindsItsOwnAnd() {
        let (e, _) = Parser.parseExpression("x BETWEEN 1 AND 2 AND y")
        guard case .binary(.and, let between, _) = e.kind, case .between = between.kind else {
            Issue.record("BETWEEN should bind tighter than AND: \(e.kind)")
            return
        }
    }

    @Test func everyNodeCarriesItsByteRange() {
        let text = "SELECT   UPPER([my field]) AS u FROM Input"
        let (script, _) = Parser.parse(text)
        guard case .select(let q) = script.statements[0], case .expr(let e, let alias) = q.first.items[0] else {
            Issue.record("no select item")
            return
        }
        let bytes = Array(text.utf8)
        func slice(_ r: SourceRange) -> String { String(decoding: bytes[Int(r.start)..<Int(r.end)], as: UTF8.self) }
        #expect(slice(e.range) == "UPPER([my field])")
        #expect(slice(alias?.range ?? .unknown) == "u")
        guard case .call(let call) = e.kind else { Issue.record("not a call"); return }
        #expect(slice(call.arguments[0].range) == "[my field]")
        guard case .identifier(let n) = call.arguments[0].kind else { Issue.record("not a name"); return }
        #expect(n.text == "my field" && n.quoting == .brackets)
    }

    @Test(arguments: [
        ("SELECT a FROM Input WHERE1️⃣", "SAQL1015"),
        ("SELECT a, 1️⃣FROM Input", "SAQL1015"),
        ("SELECT 1️⃣'open FROM x", "SAQL1003"),
        ("SELECT a FROM b 1️⃣ORDER BY a", "SAQL1021"),
        ("SELECT a FROM b 1️⃣RIGHT JOIN c ON a = b", "SAQL1022"),
        ("SELECT CAST(a AS 1️⃣) FROM b", "SAQL1017"),
        ("CREATE 1️⃣VIEW v", "SAQL1019"),
        ("SELECT a FROM b WHERE a > 1️⃣@", "SAQL1002"),
    ])
    func diagnosticsPointAtTheProblem(_ marked: String, _ code: String) {
        let (text, markers) = extractMarkers(marked)
        let (_, diags) = Parser.parse(text)
        #expect(diags.first?.code == code, "\(diags)")
        #expect(diags.first?.range.start == markers["1️⃣"], "\(diags)")
    }

    @Test func lexerHandlesQuotingAndComments() {
        let (tokens, diags) = Lexer.tokenize("[a]]b] \"x\"\"y\" 'it''s' -- comment\n /* block */ 1.5e3 .5 42")
        #expect(diags.isEmpty)
        #expect(tokens.map(\.text) == ["a]b", "x\"y", "it's", "1.5e3", ".5", "42", ""])
        #expect(tokens.map(\.kind) == [.bracketedIdentifier, .quotedIdentifier, .string, .float, .float, .integer, .endOfFile])
    }

    @Test func keywordsInAnyCase() {
        let (script, diags) = Parser.parse("select a into o from i timestamp by t group by tumblingwindow(second, 1)")
        #expect(diags.isEmpty)
        guard case .select(let q) = script.statements.first else { Issue.record("no select"); return }
        #expect(q.first.into?.text == "o")
        #expect(q.first.from?.source.timestampBy != nil)
    }

    /// The parser is total: arbitrary text yields diagnostics, never a crash or a hang.
    @Test func parserIsTotalOnGarbage() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["SELECT", "FROM", "WHERE", "(", ")", ",", "'", "\"", "[", "]", "a", "1", ".", "*", "CASE", "WHEN",
                      "END", "OVER", "JOIN", "ON", "GROUP", "BY", "WITH", "AS", "--", "/*", "=", "<>", "CREATE", "SET", ";"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...25, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "" }
                .joined(separator: " ")
            _ = Parser.parse(text)
        }
    }

    @Test func rendererPrintsCompilerStyle() {
        let file = SourceFile(name: "job.saql", text: "SELECT\n  Temprature FROM t\n")
        let d = Diagnostic.error("SAQL2001", "column 'Temprature' not found", at: SourceRange(9, 19),
                                 helps: [.init("did you mean 'Temperature'?")])
        #expect(DiagnosticRenderer().render(d, in: file) == """
            job.saql:2:3: error[SAQL2001]: column 'Temprature' not found
             2 |   Temprature FROM t
               |   ^~~~~~~~~~
               = help: did you mean 'Temperature'?

            """)
    }
}
