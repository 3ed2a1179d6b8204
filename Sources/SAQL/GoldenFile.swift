import Planner
import Runtime
import SAQLParser

/// A golden test file in saql's sqllogictest-style format: input blocks, then records that run a
/// query and compare its output, its diagnostics or its plan with the expected text.
///
/// ```
/// # description: what the file covers
///
/// input Input [format=csv] [arrival_time=FIELD] [reference]
/// {"Make":"A","Time":"2024-01-01T00:00:01Z"}
///
/// query [rowsort]
/// SELECT Make, COUNT(*) AS n FROM Input TIMESTAMP BY Time GROUP BY Make, TumblingWindow(second, 10)
/// ----
/// {"Make":"A","n":1}
///
/// error
/// SELECT Nope( FROM Input
/// ----
/// query.saql:1:13: error[SAQL1015]: expected an expression, found 'FROM'
/// ```
///
/// A block ends at a blank line; a query runs until `----`. With several outputs, expected rows are
/// grouped under `>> OutputName` lines. `query dead_letter` also captures rejected events under
/// `>> dead_letter`. Inputs accumulate through the file; a later block with the
/// same name replaces the earlier one.
///
/// A reference input's block may hold later versions of its file, each after a line `@ TIME`: the
/// file is rewritten when the run's clock (the latest arrival time read) reaches TIME, so a query
/// declaring the input with `refresh` shows a reload during the run. `query events` pushes events
/// one at a time (as a live source does) instead of in batches too, for such time-sensitive cases.
package struct GoldenFile: Sendable {
    package enum RecordKind: String, Sendable { case query, error, explain }

    /// One test record.
    package struct Record: Sendable {
        package var kind: RecordKind
        package var rowsort: Bool
        /// Capture the dead-letter output too.
        package var deadLetter: Bool
        /// Run with one-event batches only.
        package var eventAtATime: Bool
        /// `explain json`: the physical plan as JSON instead of both plans as text.
        package var json = false
        package var query: String
        /// Expected text, one entry per line.
        package var expected: [String]
        /// 1-based line of the record's header, for messages and filters.
        package var line: Int
        /// Line range (0-based, half-open) of the expected block, for rewriting.
        package var expectedLines: Range<Int>
        /// Inputs visible to this record.
        package var inputs: [Input]
    }

    /// An input block.
    package struct Input: Sendable {
        package var name: String
        package var format: DataFormat
        package var arrivalField: String?
        /// Bound as reference data (`--reference`) instead of a stream.
        package var reference = false
        package var lines: [String]
        /// Later contents of the file, each from an arrival time on (ISO-8601 text).
        package var versions: [(at: String, lines: [String])] = []
    }

    package var path: String
    package var lines: [String]
    package var records: [Record] = []

    /// The flags each record kind accepts after its keyword.
    static let flags: [RecordKind: Set<String>] = [
        .query: ["rowsort", "dead_letter", "events"],
        .explain: ["json"],
        .error: [],
    ]

    /// Parses a golden file. Throws with the line number for malformed files.
    package init(path: String, text: String) throws {
        self.path = path
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        var inputs: [Input] = []
        func isBlank(_ s: String) -> Bool { s.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }
        while i < lines.count {
            let line = lines[i]
            if isBlank(line) || line.hasPrefix("#") { i += 1; continue }
            let words = line.split(separator: " ").map(String.init)
            switch words[0] {
            case "input":
                guard words.count >= 2 else { throw GoldenFileError(path: path, line: i + 1, message: "input needs a name") }
                var input = Input(name: words[1], format: .json, arrivalField: nil, lines: [])
                for option in words.dropFirst(2) {
                    let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
                    switch (kv.first, kv.count) {
                    case ("format", 2): input.format = DataFormat(rawValue: kv[1]) ?? .json
                    case ("arrival_time", 2): input.arrivalField = kv[1]
                    case ("reference", 1): input.reference = true
                    default: throw GoldenFileError(path: path, line: i + 1, message: "unknown input option '\(option)'")
                    }
                }
                i += 1
                while i < lines.count && !isBlank(lines[i]) {
                    if lines[i].hasPrefix("@ ") {
                        input.versions.append((String(lines[i].dropFirst(2)), []))
                    } else if input.versions.isEmpty {
                        input.lines.append(lines[i])
                    } else {
                        input.versions[input.versions.count - 1].lines.append(lines[i])
                    }
                    i += 1
                }
                inputs.removeAll { $0.name == input.name }
                inputs.append(input)
            case "query", "error", "explain":
                guard let kind = RecordKind(rawValue: words[0]) else { throw GoldenFileError(path: path, line: i + 1, message: "bad record") }
                let header = i + 1
                // A misspelt flag would silently change what the record checks.
                let allowed = Self.flags[kind] ?? []
                for flag in words.dropFirst() where !allowed.contains(flag) {
                    let known = allowed.isEmpty ? "it takes none" : "known: \(allowed.sorted().joined(separator: ", "))"
                    throw GoldenFileError(path: path, line: header, message: "unknown flag '\(flag)' for '\(kind.rawValue)' (\(known))")
                }
                let rowsort = words.contains("rowsort")
                i += 1
                var query: [String] = []
                while i < lines.count && lines[i] != "----" { query.append(lines[i]); i += 1 }
                guard i < lines.count else { throw GoldenFileError(path: path, line: header, message: "record has no '----' line") }
                i += 1
                let start = i
                var expected: [String] = []
                while i < lines.count && !isBlank(lines[i]) { expected.append(lines[i]); i += 1 }
                records.append(Record(kind: kind, rowsort: rowsort, deadLetter: words.contains("dead_letter"),
                                      eventAtATime: words.contains("events"), json: words.contains("json"),
                                      query: query.joined(separator: "\n"), expected: expected,
                                      line: header, expectedLines: start..<i, inputs: inputs))
            default:
                throw GoldenFileError(path: path, line: i + 1, message: "expected 'input', 'query', 'error' or 'explain', found '\(words[0])'")
            }
        }
    }

    /// The file's text with each record's expected block replaced by `actual[record index]`.
    package func rewritten(with actual: [Int: [String]]) -> String {
        var out: [String] = []
        var i = 0
        let byStart = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($0.element.expectedLines.lowerBound, $0.offset) })
        var replaced = Set<Int>()
        while i <= lines.count {
            if let r = byStart[i], let replacement = actual[r], replaced.insert(r).inserted {
                out += replacement
                i = records[r].expectedLines.upperBound
                continue
            }
            if i == lines.count { break }
            out.append(lines[i])
            i += 1
        }
        return out.joined(separator: "\n")
    }
}

/// A malformed golden file.
package struct GoldenFileError: Error, CustomStringConvertible {
    package var path: String
    package var line: Int
    package var message: String
    package var description: String { "\(path):\(line): \(message)" }
}
