import Foundation
import Planner
import Runtime
import SAQLParser

/// An ASA test suite as the azure-streamanalytics-cicd tool writes it (`testConfig.json`): the
/// query script, then test cases with mocked inputs and expected outputs.
package struct ASATestConfig: Decodable, Sendable {
    package var Script: String?
    package var TestCases: [TestCase]

    package struct TestCase: Decodable, Sendable {
        package var Name: String
        package var Inputs: [Input]
        package var ExpectedOutputs: [ExpectedOutput]
    }

    package struct Input: Decodable, Sendable {
        package var InputAlias: String
        /// `Data Stream` or `Reference Data`.
        package var `Type`: String?
        /// `Json` or `Csv`.
        package var Format: String?
        package var FilePath: String
        package var ScriptType: String?
    }

    package struct ExpectedOutput: Decodable, Sendable {
        package var OutputAlias: String
        package var FilePath: String
        package var Required: Bool?
        /// Fields left out of the comparison (system times, say).
        package var IgnoreFields: [String]?
    }

    package static func load(_ path: String) throws -> ASATestConfig {
        do { return try JSONDecoder().decode(ASATestConfig.self, from: try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw ConnectorError("\(path): not a valid testConfig.json: \(error)")
        }
    }
}

/// ASA's `JobConfig.json` settings that change results: event ordering, compatibility level, output
/// error policy.
package struct ASAJobConfig: Decodable, Sendable {
    package var EventsOutOfOrderMaxDelayInSeconds: Double?
    package var EventsOutOfOrderPolicy: String?
    package var EventsLateArrivalMaxDelayInSeconds: Double?
    package var OutputErrorPolicy: String?
    package var CompatibilityLevel: String?

    package static func load(_ path: String) throws -> ASAJobConfig {
        do { return try JSONDecoder().decode(ASAJobConfig.self, from: try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw ConnectorError("\(path): not a valid JobConfig.json: \(error)")
        }
    }

    /// As `--set key=value` overrides. ASA's output error policy `Stop` is saql's `retry` (the job
    /// waits rather than lose the row).
    package var settings: [(key: String, value: String)] {
        var s: [(String, String)] = []
        if let d = EventsOutOfOrderMaxDelayInSeconds { s.append(("out_of_order_tolerance", "\(d)s")) }
        if let p = EventsOutOfOrderPolicy { s.append(("out_of_order_policy", p.lowercased())) }
        if let d = EventsLateArrivalMaxDelayInSeconds { s.append(("late_arrival_tolerance", d < 0 ? "-1" : "\(d)s")) }
        if let p = OutputErrorPolicy { s.append(("output_error_policy", p.lowercased() == "drop" ? "drop" : "retry")) }
        if let c = CompatibilityLevel { s.append(("compatibility_level", c)) }
        return s
    }
}

/// How one expected output of a test case came out (ASA's `testResultSummary.json` statuses).
package enum ASAOutputStatus: String, Sendable {
    case matched = "OutputMatched", notEqual = "OutputNotEqual", missing = "OutputMissing"
    case unexpected = "OutputUnexpected", unrequired = "OutputUnrequired"
}

/// The results of a suite, written as ASA's `testResultSummary.json`.
package struct ASATestSummary: Sendable {
    package struct CaseResult: Sendable {
        package var name: String
        package var outputs: [(alias: String, status: ASAOutputStatus, diff: [String])]
        /// Compile or run failure of the case, if any.
        package var error: String?
        package var seconds: Double
        package var passed: Bool { error == nil && outputs.allSatisfy { $0.status != .notEqual && $0.status != .missing } }
    }

    package var cases: [CaseResult] = []
    package var total: Int { cases.count }
    package var passed: Int { cases.filter(\.passed).count }
    package var failed: Int { total - passed }

    /// `{"Total", "Passed", "Failed", "Results": [{"Name", "Status", "OutputResults": [{"OutputAlias", "Status"}]}]}`.
    package var json: String {
        let results = cases.map { c in
            JSONText.object([
                ("Name", JSONText.string(c.name)),
                ("Status", JSONText.string(c.passed ? "Passed" : "Failed")),
                ("Error", c.error.map(JSONText.string) ?? "null"),
                ("OutputResults", JSONText.array(c.outputs.map {
                    JSONText.object([("OutputAlias", JSONText.string($0.alias)), ("Status", JSONText.string($0.status.rawValue)),
                                     ("Differences", JSONText.array($0.diff.map(JSONText.string)))])
                })),
            ])
        }
        return JSONText.object([("Total", "\(total)"), ("Passed", "\(passed)"), ("Failed", "\(failed)"),
                                ("Results", JSONText.array(results))]) + "\n"
    }

    /// A JUnit XML report: one `testcase` per test case, failures with their differences.
    package func junit(suite: String) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let time = cases.reduce(0) { $0 + $1.seconds }
        out += "<testsuites tests=\"\(total)\" failures=\"\(failed)\" time=\"\(String(format: "%.3f", time))\">\n"
        out += "  <testsuite name=\"\(esc(suite))\" tests=\"\(total)\" failures=\"\(failed)\" time=\"\(String(format: "%.3f", time))\">\n"
        for c in cases {
            out += "    <testcase classname=\"\(esc(suite))\" name=\"\(esc(c.name))\" time=\"\(String(format: "%.3f", c.seconds))\""
            if c.passed {
                out += "/>\n"
                continue
            }
            out += ">\n"
            let details = (c.error.map { [$0] } ?? []) + c.outputs.filter { $0.status == .notEqual || $0.status == .missing }
                .flatMap { ["\($0.alias): \($0.status.rawValue)"] + $0.diff.map { "  " + $0 } }
            let message = c.error ?? c.outputs.filter { $0.status == .notEqual || $0.status == .missing }
                .map { "\($0.alias): \($0.status.rawValue)" }.joined(separator: "; ")
            out += "      <failure message=\"\(esc(message))\">\(esc(details.joined(separator: "\n")))</failure>\n"
            out += "    </testcase>\n"
        }
        return out + "  </testsuite>\n</testsuites>\n"
    }
}

/// Runs an ASA test suite offline through the engine, as `saql test` does.
///
/// Each case binds its inputs to its files (`Reference Data` as reference inputs) and every output
/// to a file, runs to the end of input with a fixed run start, and compares each expected output.
/// Comparison (ASA documents none; chosen here): rows as a multiset (order ignored), field order
/// ignored, numbers by value (`1` equals `1.0`; floats to 1e-9 relative), strings that are both
/// ISO-8601 datetimes by instant (`…00Z` equals `…00.0000000Z`), `IgnoreFields` left out.
package struct ASATestRunner {
    package var query: SourceFile
    package var config: ASATestConfig
    /// Where the suite's relative file paths start (the testConfig.json's directory).
    package var baseDirectory: String
    package var settings: [(key: String, value: String)]
    package var workDirectory: String
    /// Functions declared outside the query (an ASA project's `Functions` folder).
    package var functions: [UserFunctionDeclaration] = []

    package init(query: SourceFile, config: ASATestConfig, baseDirectory: String, settings: [(key: String, value: String)] = [],
                workDirectory: String) {
        self.query = query
        self.config = config
        self.baseDirectory = baseDirectory
        self.settings = settings
        self.workDirectory = workDirectory
    }

    /// The query's compile errors, if it does not compile (the suite is not run then).
    package func compileErrors() -> [Diagnostic] {
        Compiler.compile(query, overrides: overrides(for: config.TestCases.first, outputs: "/dev/null"), catalog: .standard).diagnostics.filter { $0.severity == .error }
    }

    private func path(_ p: String) -> String { p.hasPrefix("/") ? p : baseDirectory + "/" + p }

    private func overrides(for testCase: ASATestConfig.TestCase?, outputs: String) -> BindingOverrides {
        var o = BindingOverrides()
        o.settings = settings
        o.outputDirectory = outputs
        o.functions = functions
        for input in testCase?.Inputs ?? [] {
            let format: DataFormat = input.Format?.lowercased() == "csv" ? .csv : .json
            let connector = EndpointSpec.file(path: path(input.FilePath), format: format)
            if input.Type?.lowercased().hasPrefix("reference") == true { o.references[input.InputAlias] = connector } else {
                o.inputs[input.InputAlias] = connector
            }
        }
        return o
    }

    package func run() throws -> ASATestSummary {
        var summary = ASATestSummary()
        for (n, testCase) in config.TestCases.enumerated() {
            let started = Date()
            let outputs = "\(workDirectory)/case\(n)"
            try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
            var result = ASATestSummary.CaseResult(name: testCase.Name, outputs: [], error: nil, seconds: 0)
            defer {
                result.seconds = Date().timeIntervalSince(started)
                summary.cases.append(result)
            }
            let (job, diagnostics) = Compiler.compile(query, overrides: overrides(for: testCase, outputs: outputs), check: .complete, catalog: .standard)
            guard let job else {
                result.error = DiagnosticRenderer().render(diagnostics.filter { $0.severity == .error }, in: query)
                continue
            }
            do {
                let pipeline = try Pipeline(plan: job.physical, settings: job.settings, options: PipelineOptions(runStart: GoldenRunner.runStart.ticks))
                try pipeline.runFileInputs()
            } catch {
                result.error = "\(error)"
                continue
            }
            var seen = Set<String>()
            for expected in testCase.ExpectedOutputs {
                seen.insert(expected.OutputAlias.lowercased())
                guard expected.Required ?? true else {
                    result.outputs.append((expected.OutputAlias, .unrequired, []))
                    continue
                }
                guard let binding = job.outputs.first(where: { $0.name.caseInsensitiveEquals(expected.OutputAlias) }),
                      let file = (binding.endpoint as? FileOutput)?.path else {
                    result.outputs.append((expected.OutputAlias, .missing, ["the query writes no output '\(expected.OutputAlias)'"]))
                    continue
                }
                do {
                    let want = try Self.rows(path(expected.FilePath)), got = try Self.rows(file, missingIsEmpty: true)
                    let diff = Self.compare(expected: want, actual: got, ignoring: Set((expected.IgnoreFields ?? []).map { $0.lowercased() }))
                    result.outputs.append((expected.OutputAlias, diff.isEmpty ? .matched : .notEqual, diff))
                } catch {
                    result.outputs.append((expected.OutputAlias, .missing, ["\(error)"]))
                }
            }
            for o in job.outputs where !seen.contains(o.name.lowercased()) {
                result.outputs.append((o.name, .unexpected, []))
            }
        }
        return summary
    }

    /// Rows of an output file: JSON Lines, concatenated objects, or one JSON array.
    static func rows(_ path: String, missingIsEmpty: Bool = false) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if missingIsEmpty { return [] }
            throw ConnectorError("cannot read '\(path)'")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [] }
        if text.hasPrefix("[") {
            guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
                throw ConnectorError("\(path): not an array of objects")
            }
            return array
        }
        // `{...}{...}` or one object per line: split at top-level object boundaries.
        var rows: [[String: Any]] = []
        var depth = 0, start: String.Index?, inString = false, escaped = false
        for i in text.indices {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            switch c {
            case "\"": inString = true
            case "{":
                if depth == 0 { start = i }
                depth += 1
            case "}":
                depth -= 1
                if depth == 0, let s = start {
                    guard let row = try JSONSerialization.jsonObject(with: Data(text[s...i].utf8)) as? [String: Any] else {
                        throw ConnectorError("\(path): not a JSON object")
                    }
                    rows.append(row)
                }
            default: break
            }
        }
        return rows
    }

    /// Differences between two outputs, each naming the row and fields; empty when they match.
    package static func compare(expected: [[String: Any]], actual: [[String: Any]], ignoring: Set<String>) -> [String] {
        func clean(_ r: [String: Any]) -> [String: Any] { r.filter { !ignoring.contains($0.key.lowercased()) } }
        var unmatched = actual.map(clean)
        var missing: [(Int, [String: Any])] = []
        for (i, row) in expected.map(clean).enumerated() {
            if let j = unmatched.firstIndex(where: { equal(row, $0) }) { unmatched.remove(at: j) } else { missing.append((i, row)) }
        }
        var out: [String] = []
        if expected.count != actual.count { out.append("expected \(expected.count) rows, got \(actual.count)") }
        for (i, row) in missing {
            // The closest unmatched actual row: the most equal fields.
            let best = unmatched.indices.max { a, b in score(row, unmatched[a]) < score(row, unmatched[b]) }
            if let b = best, score(row, unmatched[b]) > 0 {
                let got = unmatched.remove(at: b)
                let fields = Set(row.keys).union(got.keys).sorted().filter { !valueEqual(row[$0], got[$0]) }
                out.append("expected row \(i + 1): " + fields.map { "\($0): expected \(text(row[$0])), got \(text(got[$0]))" }.joined(separator: "; "))
            } else {
                out.append("expected row \(i + 1) not produced: \(text(row))")
            }
        }
        for row in unmatched { out.append("unexpected row: \(text(row))") }
        return out
    }

    private static func score(_ a: [String: Any], _ b: [String: Any]) -> Int { a.keys.filter { valueEqual(a[$0], b[$0]) }.count }

    static func equal(_ a: [String: Any], _ b: [String: Any]) -> Bool {
        Set(a.keys.map { $0.lowercased() }) == Set(b.keys.map { $0.lowercased() }) && a.keys.allSatisfy { k in
            valueEqual(a[k], b.first { $0.key.caseInsensitiveEquals(k) }?.value)
        }
    }

    static func valueEqual(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (is NSNull, is NSNull), (is NSNull, nil), (nil, is NSNull): return true
        case (let x as String, let y as String):
            if x == y { return true }
            if let s = Timestamp(parsing: x), let t = Timestamp(parsing: y) { return s == t }
            return false
        case (let x as NSNumber, let y as NSNumber):
            let dx = x.doubleValue, dy = y.doubleValue
            return dx == dy || abs(dx - dy) <= 1e-9 * max(abs(dx), abs(dy))
        case (let x as [String: Any], let y as [String: Any]): return equal(x, y)
        case (let x as [Any], let y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { valueEqual($0, $1) }
        default: return false
        }
    }

    static func text(_ v: Any?) -> String {
        guard let v, !(v is NSNull) else { return "null" }
        if let s = v as? String { return "\"\(s)\"" }
        if JSONSerialization.isValidJSONObject(v), let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) {
            return String(decoding: d, as: UTF8.self)
        }
        return "\(v)"
    }
}
