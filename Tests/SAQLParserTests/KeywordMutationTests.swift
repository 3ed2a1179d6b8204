import Foundation
import SAQLParser
import Testing

/// The parser checks every keyword it consumes: in each query of the golden corpus, each
/// structural keyword in turn is replaced by a word that is no keyword, and the parser must
/// report an error. (A parser that advances past a token without looking at it accepts such a
/// query, as `WITH s AS (SELEKT a FROM i)` once was.)
struct KeywordMutationTests {
    /// Keywords whose replacement by a plain word can never leave a valid query. Words that may
    /// also be names (`NULL` becomes a column, `LAST` a function) are not among them, nor UNION:
    /// `FROM s Qzx SELECT ...` is a source alias followed by a second statement.
    static let structural: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "INTO", "JOIN", "ON", "TIMESTAMP", "OVER",
        "PARTITION", "LIMIT", "DURATION", "WITH", "CASE", "WHEN", "THEN", "END", "BETWEEN", "IS", "LIKE",
        "MATCH_RECOGNIZE", "MEASURES", "PATTERN", "DEFINE", "AFTER", "SKIP", "CROSS", "APPLY", "INNER", "OUTER",
    ]

    static var corpusQueries: [(file: String, line: Int, text: String)] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CorpusTests/Corpus").path
        var out: [(String, Int, String)] = []
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where file.hasSuffix(".test") {
            let lines = ((try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)) ?? "").components(separatedBy: "\n")
            var i = 0
            while i < lines.count {
                if lines[i].hasPrefix("query") {
                    let start = i + 1
                    var j = start
                    while j < lines.count && lines[j] != "----" { j += 1 }
                    out.append((file, start + 1, lines[start..<j].joined(separator: "\n")))
                    i = j
                }
                i += 1
            }
        }
        return out
    }

    @Test func everyConsumedKeywordIsChecked() throws {
        let queries = Self.corpusQueries
        try #require(queries.count > 200)
        var mutations = 0
        var accepted: [String] = []
        for q in queries {
            let tokens = Lexer.tokenize(q.text).tokens
            for (i, token) in tokens.enumerated() where token.kind == .identifier && Self.structural.contains(token.text.uppercased()) {
                // Not a keyword here: a function or member name (`System.Timestamp()`, `Duration(...)`),
                // an alias after AS, or a clause word without its clause (`Partition` as a column).
                let before = i > 0 ? tokens[i - 1] : nil, after = i + 1 < tokens.count ? tokens[i + 1] : nil
                if before?.isPunct(.dot) == true || after?.isPunct(.lparen) == true || before?.isKeyword("AS") == true { continue }
                if let follower = Parser.clauseWords[token.text.uppercased()], after?.isKeyword(follower) != true { continue }
                var bytes = Array(q.text.utf8)
                bytes.replaceSubrange(Int(token.range.start)..<Int(token.range.end), with: Array("Qzx".utf8))
                let mutated = String(decoding: bytes, as: UTF8.self)
                mutations += 1
                if Parser.parse(mutated).diagnostics.isEmpty {
                    accepted.append("\(q.file):\(q.line): '\(token.text)' at byte \(token.range.start) -> \(mutated)")
                }
            }
        }
        #expect(mutations > 1_000)
        #expect(accepted.isEmpty, "\(accepted.count) of \(mutations) mutated queries parse without error:\n\(accepted.prefix(40).joined(separator: "\n"))")
    }
}
