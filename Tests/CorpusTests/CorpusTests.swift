import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Runs every golden file under `Tests/CorpusTests/Corpus`.
/// Set `SAQL_CORPUS_COMPLETE=1` to rewrite the expected blocks with the actual output.
struct CorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus").path

    /// The golden files; a missing directory gives none, which ``corpusIsThere`` reports.
    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }

    /// A moved or emptied corpus must fail, not pass with zero cases.
    @Test func corpusIsThere() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory)
        #expect(names.filter { $0.hasSuffix(".test") }.count >= 28, "golden files in \(Self.directory)")
        var records = 0
        for name in Self.files {
            let path = "\(Self.directory)/\(name)"
            records += try GoldenFile(path: path, text: String(contentsOfFile: path, encoding: .utf8)).records.count
        }
        #expect(records >= 280, "\(records) golden records")
    }

    /// Record flags are checked: a typo is an error, not a silently weaker record.
    @Test func unknownRecordFlagsAreRejected() {
        #expect(throws: GoldenFileError.self) { try GoldenFile(path: "t.test", text: "query rowsrot\nSELECT 1\n----\n") }
        #expect(throws: GoldenFileError.self) { try GoldenFile(path: "t.test", text: "error json\nSELECT 1\n----\n") }
    }

    @Test(arguments: files)
    func corpus(_ name: String) throws {
        let path = "\(Self.directory)/\(name)"
        let file = try GoldenFile(path: path, text: String(contentsOfFile: path, encoding: .utf8))
        let work = NSTemporaryDirectory() + "saql-corpus-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let outcomes = try GoldenRunner(workDirectory: work).run(file)
        if ProcessInfo.processInfo.environment["SAQL_CORPUS_COMPLETE"] == "1" {
            var actual: [Int: [String]] = [:]
            for (i, o) in outcomes.enumerated() where !o.passed { actual[i] = o.actual }
            if !actual.isEmpty { try file.rewritten(with: actual).write(toFile: path, atomically: true, encoding: .utf8) }
            return
        }
        for o in outcomes {
            #expect(o.problem == nil, "\(name):\(o.record.line): \(o.problem ?? "")")
            #expect(o.passed, """
                \(name):\(o.record.line): output differs
                --- expected
                \(o.record.expected.joined(separator: "\n"))
                --- actual
                \(o.actual.joined(separator: "\n"))
                """)
        }
    }
}

/// The diagnostics corpus stays broad: at least 60 golden error records, each giving a code, the
/// exact place (line, column and caret) and a help.
struct DiagnosticCorpusSizeTests {
    @Test func sixtyDiagnosticsWithCodeRangeAndHelp() throws {
        var complete = 0
        for name in CorpusTests.files {
            let path = "\(CorpusTests.directory)/\(name)"
            let file = try GoldenFile(path: path, text: String(contentsOfFile: path, encoding: .utf8))
            for r in file.records where r.kind == .error {
                let coded = r.expected.contains { $0.range(of: #"^query\.saql:\d+:\d+: (error|warning)\[SAQL\d{4}\]"#, options: .regularExpression) != nil }
                let caret = r.expected.contains { $0.contains("^") }
                let help = r.expected.contains { $0.contains("= help:") }
                if coded && caret && help { complete += 1 }
            }
        }
        #expect(complete >= 60, "\(complete) complete diagnostic records")
    }
}
