import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Query texts built to break the compiler: nesting just inside the limits compiles, explains and
/// runs (in the embedding API's actor, on a pool thread's stack, and so in the CLI); just past them
/// it is one diagnostic. Texts that used to take exponential or quadratic time stay fast.
struct QueryLimitTests {
    static let nest = Parser.maxNesting - 5, chain = Parser.maxDepth - 10

    /// Each shape of deep expression, at a depth that must still work.
    static let deep: [(name: String, select: String)] = [
        ("parentheses", String(repeating: "(", count: nest) + "a" + String(repeating: ")", count: nest)),
        ("calls", String(repeating: "ABS(", count: nest) + "a" + String(repeating: ")", count: nest)),
        ("CASE", String(repeating: "CASE WHEN a = 1 THEN ", count: nest) + "1" + String(repeating: " END", count: nest)),
        ("NOT", String(repeating: "NOT ", count: chain) + "a = 1"),
        ("unary minus", String(repeating: "- ", count: chain) + "a"),
        ("+ chain", Array(repeating: "a", count: chain).joined(separator: " + ")),
        ("AND chain", "CASE WHEN " + Array(repeating: "a = 1", count: chain).joined(separator: " AND ") + " THEN 1 END"),
        ("member path", "r" + String(repeating: ".b", count: chain)),
    ]

    @Test(arguments: deep.map(\.name))
    func deepExpressionsInsideTheLimitsRun(_ name: String) async throws {
        let select = try #require(Self.deep.first { $0.name == name }).select
        let engine = try Engine(job: "SELECT \(select) AS x INTO Out FROM In")
        let rows = try engine.rows(of: "Out")
        try await engine.push(json: #"{"a":1,"r":{"b":{"b":2}}}"#, to: "In")
        try await engine.finish()
        var n = 0
        for try await _ in rows { n += 1 }
        #expect(n == 1)
        // The EXPLAIN printers walk the same trees.
        let job = try #require(Compiler.compile(SourceFile(name: "deep.saql", text: "SELECT \(select) AS x INTO Out FROM In")).job)
        #expect(Explain.logical(job.logical).contains("Project"))
        #expect(!Explain.physicalJSON(job.physical).isEmpty)
    }

    /// Past the limits: one error with the fix, and nothing after it, whatever the shape.
    @Test func nestingPastTheLimitsIsOneError() {
        let n = 20_000
        let texts = [
            String(repeating: "(", count: n) + "a" + String(repeating: ")", count: n),
            String(repeating: "ABS(", count: n) + "a" + String(repeating: ")", count: n),
            String(repeating: "NOT ", count: n) + "a = 1",
            String(repeating: "- ", count: n) + "a",
            Array(repeating: "a", count: n).joined(separator: " * "),
            Array(repeating: "a = 1", count: n).joined(separator: " OR "),
            "r" + String(repeating: ".b", count: n),
            String(repeating: "CASE WHEN a = 1 THEN ", count: n) + "1" + String(repeating: " END", count: n),
        ]
        // MATCH_RECOGNIZE pattern groups (found by saql-fuzz: a stack overflow).
        let pattern = "SELECT * INTO Out FROM In MATCH_RECOGNIZE (LIMIT DURATION(second, 10) MEASURES COUNT(A.a) AS n PATTERN ("
            + String(repeating: "(", count: n) + "A" + String(repeating: ")", count: n) + ") DEFINE A AS A.a > 0)"
        #expect(Engine.check(job: pattern).map(\.code) == ["SAQL1040"])
        for text in texts {
            let diagnostics = Engine.check(job: "SELECT \(text) AS x INTO Out FROM In")
            #expect(diagnostics.count == 1, "\(text.prefix(30))")
            #expect(diagnostics.first?.code == "SAQL1040")
        }
    }

    @Test func stepChainsPastTheLimitAreOneError() {
        func chain(_ n: Int) -> String {
            "WITH " + (0..<n).map { "s\($0) AS (SELECT a FROM \($0 == 0 ? "In" : "s\($0 - 1)"))" }.joined(separator: ",\n")
                + "\nSELECT a INTO Out FROM s\(n - 1)"
        }
        #expect(Engine.check(job: chain(100)).filter { $0.severity == .error }.isEmpty)
        let past = Engine.check(job: chain(3000)).filter { $0.severity == .error }
        #expect(past.map(\.code).contains("SAQL2026"))
        #expect(past.count <= 2)
    }

    /// Texts that took 92 s (a 26-level path printed twice per level), 24 s (8,000 columns) and
    /// 12 s and 1.7 GB (4,000 bad options): linear now. The bound is loose (a debug build on a
    /// loaded machine); the old times were exponential or quadratic.
    @Test func formerlySlowTextsCompileQuickly() {
        let path = "SELECT a" + String(repeating: ".b", count: 26) + " AS x INTO Out FROM In"
        let columns = "SELECT " + (0..<8000).map { "a AS c\($0)" }.joined(separator: ", ") + " INTO Out FROM In"
        let options = "CREATE INPUT In WITH (connector = 'file', path = 'x.jsonl', "
            + (0..<4000).map { "bad\($0) = 'x'" }.joined(separator: ", ") + ");\nSELECT a INTO Out FROM In"
        for text in [path, columns, options] {
            let start = Date()
            let source = SourceFile(name: "q.saql", text: text)
            let (job, diagnostics) = Compiler.compile(source)
            if let job { _ = Explain.logical(job.logical) + Explain.physical(job.physical) }
            let rendered = DiagnosticRenderer().render(diagnostics, in: source)
            #expect(Date().timeIntervalSince(start) < 5, "\(text.prefix(40))")
            #expect(rendered.utf8.count < 100_000)
        }
    }
}
