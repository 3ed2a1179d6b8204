import Foundation
import Testing

/// Every query of ASA's language reference and query-pattern articles, as written down in
/// `Fixtures/documented-queries.sweep`, goes through `saql check`: the documented mistakes must give
/// the error they are marked with, and every other query must compile. A gap in the language shows
/// here before a user finds it.
struct DocumentedQueriesTests {
    struct Record {
        let line: Int
        let expectedError: String?
        let references: [String]
        let query: String
    }

    static func records() throws -> [Record] {
        let path = ExampleJobTests.root + "/Tests/RuntimeTests/Fixtures/documented-queries.sweep"
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        var out: [Record] = []
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard lines[i].hasPrefix("check") else { continue }
            let words = lines[i].split(separator: " ").map(String.init)
            var expected: String?, references: [String] = []
            var w = 1
            while w + 1 < words.count {
                switch words[w] {
                case "error": expected = words[w + 1]
                case "reference": references = words[w + 1].split(separator: ",").map(String.init)
                default: Issue.record("line \(i + 1): unknown word '\(words[w])'")
                }
                w += 2
            }
            let start = i + 1
            var end = start
            while end < lines.count && lines[end] != "----" { end += 1 }
            out.append(Record(line: start, expectedError: expected, references: references,
                              query: lines[start..<end].joined(separator: "\n")))
            i = end
        }
        return out
    }

    @Test func documentedQueriesCheckAsMarked() throws {
        let records = try Self.records()
        try #require(records.count >= 200)
        #expect(records.filter { $0.expectedError != nil }.count >= 15)
        let dir = NSTemporaryDirectory() + "saql-sweep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // One `saql check` per set of reference inputs, over every query with that set.
        let groups = Dictionary(grouping: records.indices) { records[$0].references.joined(separator: ",") }
        var codesByFile: [String: Set<String>] = [:]
        for (_, indices) in groups {
            var arguments = ["check", "--format", "json"]
            for i in indices {
                let file = dir + "/q\(records[i].line).asaql"
                try (records[i].query + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                arguments.append(file)
            }
            for name in records[indices[0]].references { arguments += ["--reference", "\(name)=/dev/null"] }
            let (_, output) = try runSAQL(arguments)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            for d in report["diagnostics"] as? [[String: Any]] ?? [] where d["severity"] as? String == "error" {
                if let file = d["file"] as? String, let code = d["code"] as? String { codesByFile[file, default: []].insert(code) }
            }
        }
        for r in records {
            let codes = codesByFile[dir + "/q\(r.line).asaql"] ?? []
            if let expected = r.expectedError {
                #expect(codes.contains(expected), "documented-queries.sweep:\(r.line): expected \(expected), got \(codes.sorted())")
            } else {
                #expect(codes.isEmpty, "documented-queries.sweep:\(r.line): \(codes.sorted())\n\(r.query)")
            }
        }
    }
}
