import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Grammar.md's function and aggregate tables are the registry's own documentation.
struct GrammarTests {
    static let path = ExampleJobTests.root + "/Grammar.md"
    static let begin = "<!-- functions: generated from Catalog.standard -->\n"
    static let end = "<!-- end of generated functions -->"

    @Test func functionTablesMatchTheRegistry() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        let start = try #require(text.range(of: Self.begin)), stop = try #require(text.range(of: Self.end))
        let generated = Catalog.standard.functions.documentation
        if ProcessInfo.processInfo.environment["SAQL_GRAMMAR_COMPLETE"] == "1" {
            try (String(text[..<start.upperBound]) + generated + String(text[stop.lowerBound...]))
                .write(toFile: Self.path, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(text[start.upperBound..<stop.lowerBound]) == generated,
                "Grammar.md's function tables differ from the registry: run SAQL_GRAMMAR_COMPLETE=1 swift test --filter GrammarTests")
        #expect(generated.contains("| `DATEADD` | datepart, number, datetime |"))
    }
}
