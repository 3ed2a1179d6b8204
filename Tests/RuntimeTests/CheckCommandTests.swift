import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// `saql check`: output formats (SARIF checked against the rules GitHub code scanning relies on),
/// exit codes, and no false errors on the example jobs and ASA's documented queries.
struct CheckCommandTests {
    static let root = ExampleJobTests.root

    /// Two files: one with an error on a line with a non-ASCII character before it, one clean.
    func report() -> DiagnosticReport {
        let bad = SourceFile(name: "./jobs/bad job.saql", text: "SELECT 'é€', UPPR(a) AS x, b FROM Input\nSELECT a FROM Input WHERE\n")
        let good = SourceFile(name: "good.saql", text: "SELECT a FROM Input\n")
        return DiagnosticReport(files: [bad, good].map { ($0, Compiler.compile($0).diagnostics) }, toolVersion: "0.1.0")
    }

    @Test func sarifHasWhatCodeScanningNeeds() throws {
        let text = report().render(.sarif)
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
        #expect((sarif["$schema"] as? String)?.contains("sarif-2.1.0") == true)
        let runs = try #require(sarif["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "saql")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        let ruleIds = rules.compactMap { $0["id"] as? String }
        #expect(Set(ruleIds).count == rules.count, "rule ids are unique")
        let results = try #require(runs[0]["results"] as? [[String: Any]])
        #expect(results.count == 2)
        for r in results {
            let id = try #require(r["ruleId"] as? String)
            #expect(id.hasPrefix("SAQL"))
            #expect(ruleIds.firstIndex(of: id) == r["ruleIndex"] as? Int)
            #expect(["error", "warning", "note"].contains(r["level"] as? String ?? ""))
            #expect(((r["message"] as? [String: Any])?["text"] as? String)?.isEmpty == false)
            let locations = try #require(r["locations"] as? [[String: Any]])
            let physical = try #require(locations.first?["physicalLocation"] as? [String: Any])
            let uri = try #require((physical["artifactLocation"] as? [String: Any])?["uri"] as? String)
            #expect(uri == "jobs/bad%20job.saql", "relative, escaped: \(uri)")
            let region = try #require(physical["region"] as? [String: Int])
            #expect(region["startLine"] ?? 0 >= 1 && region["startColumn"] ?? 0 >= 1)
            #expect(region["endLine"] ?? 0 >= region["startLine"] ?? 0)
        }
        // UPPR starts at UTF-8 byte column 17 but UTF-16 column 14 ('é' and '€' are 2 and 3 bytes, 1 unit each).
        let upper = try #require(results.first { $0["ruleId"] as? String == "SAQL2005" })
        let region = ((upper["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Int]
        #expect(region?["startColumn"] == 14 && region?["endColumn"] == 18)
    }

    @Test func githubAnnotationsAndJSON() throws {
        let lines = report().render(.github).split(separator: "\n")
        #expect(lines.first == "::error file=./jobs/bad job.saql,line=1,col=17,endLine=1,endColumn=21,title=SAQL2005::unknown function 'UPPR'%0Ahelp: did you mean 'UPPER'?")
        #expect(lines.count == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report().render(.json).utf8)) as? [String: Any])
        #expect(json["errors"] as? Int == 2)
        let first = try #require((json["diagnostics"] as? [[String: Any]])?.first)
        #expect(first["code"] as? String == "SAQL2005" && first["severity"] as? String == "error")
        #expect((first["range"] as? [String: [String: Int]])?["start"] == ["line": 1, "column": 17])
        #expect((first["helps"] as? [[String: String]])?.first?["replacement"] == "UPPER")
    }

    func saql(_ arguments: [String]) throws -> (status: Int32, stdout: String) { try runSAQL(arguments) }

    @Test func exitCodes() throws {
        let dir = NSTemporaryDirectory() + "saql-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "SELECT a FROM Input\n".write(toFile: dir + "/good.asaql", atomically: true, encoding: .utf8)
        try "SELECT a FROM\n".write(toFile: dir + "/bad.asaql", atomically: true, encoding: .utf8)
        #expect(try saql(["check", dir + "/good.asaql"]).status == 0)
        let both = try saql(["check", "--format", "json", dir + "/good.asaql", dir + "/bad.asaql"])
        #expect(both.status == 2)
        #expect(both.stdout.contains("\"files\":[\"\(dir)/good.asaql\",\"\(dir)/bad.asaql\"]"))
        #expect(try saql(["check", dir + "/missing.asaql", dir + "/good.asaql"]).status == 1)
    }

    /// Columns are checked wherever a schema is known: a sample of an input, and reference data on disk.
    @Test func schemasFromSamplesAndReferenceData() throws {
        let dir = NSTemporaryDirectory() + "saql-schema-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"DeviceId":"a","Temperature":20}"#.write(toFile: dir + "/sample.jsonl", atomically: true, encoding: .utf8)
        try #"[{"DeviceId":"a","Site":"North"}]"#.write(toFile: dir + "/sites.json", atomically: true, encoding: .utf8)
        try "SELECT t.DeviceId, t.Temprature, r.Sitee FROM Telemetry t JOIN Sites r ON t.DeviceId = r.DeviceId\n"
            .write(toFile: dir + "/q.asaql", atomically: true, encoding: .utf8)
        let r = try saql(["check", "--format", "json", dir + "/q.asaql", "--schema-from-sample", "Telemetry=\(dir)/sample.jsonl",
                          "--reference", "Sites=\(dir)/sites.json"])
        #expect(r.status == 2)
        #expect(r.stdout.contains(#"column 'Temprature' not found in 't'"#) && r.stdout.contains(#""replacement":"Temperature""#), "\(r.stdout)")
        #expect(r.stdout.contains(#"column 'Sitee' not found in 'r'"#) && r.stdout.contains(#""replacement":"Site""#), "\(r.stdout)")
        // Without them, schemaless inputs accept any column.
        #expect(try saql(["check", dir + "/q.asaql", "--reference", "Sites=/nonexistent.json"]).status == 0)
    }

    /// queries/iot-telemetry-prod.saql runs the IoT query unchanged (one statement added after it).
    @Test func theProductionJobKeepsTheIoTQuery() throws {
        func query(_ name: String) throws -> String {
            let text = try String(contentsOfFile: Self.root + "/queries/" + name, encoding: .utf8)
            return String(text[(text.range(of: "-- Process incoming telemetry stream")?.lowerBound ?? text.startIndex)...])
        }
        let base = try query("iot-telemetry.saql"), prod = try query("iot-telemetry-prod.saql")
        #expect(prod.hasPrefix(base.trimmingCharacters(in: .newlines)))
        #expect(prod.contains("INTO\n    CriticalMaintenanceHook"))
    }

    /// No false errors: every job in queries/ (but the seed, which ASA rejects too) and every non-UDF
    /// query of the shared conformance cases (their corrected text where the docs have typos), with
    /// their reference inputs declared as the cases declare them.
    @Test func noFalseErrorsOnKnownGoodQueries() throws {
        for name in ["iot-telemetry.saql", "iot-telemetry-kafka.saql", "iot-telemetry-prod.saql"] {
            let source = SourceFile(name: name, text: try String(contentsOfFile: Self.root + "/queries/" + name, encoding: .utf8))
            var overrides = BindingOverrides()
            overrides.jobDirectory = Self.root + "/queries"
            overrides.environment = ["KAFKA_BROKERS": "localhost:9092"]
            let errors = Compiler.compile(source, overrides: overrides).diagnostics.filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(DiagnosticRenderer().render(errors, in: source))")
        }
        let cases = Self.root + "/../shared/conformance/cases"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: cases) else { return }
        var checked = 0
        for name in names.sorted() where name.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: cases + "/" + name))
            let c = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let query = (c["query_fixed"] as? String) ?? (c["query"] as? String) ?? ""
            if query.range(of: "udf.", options: .caseInsensitive) != nil { continue }
            var overrides = BindingOverrides()
            for ref in ((c["reference"] as? [String: Any]) ?? [:]).keys {
                overrides.references[ref] = .file(path: "/dev/null", format: .json)
            }
            let source = SourceFile(name: name, text: query)
            let errors = Compiler.compile(source, overrides: overrides).diagnostics.filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(DiagnosticRenderer().render(errors, in: source))")
            checked += 1
        }
        #expect(checked >= 50)
    }
}

/// `saql explain --format json` is valid JSON with a field set per operator.
struct ExplainJSONTests {
    @Test func iotPlanAsJSON() throws {
        let path = ExampleJobTests.root + "/queries/iot-telemetry.saql"
        let source = SourceFile(name: path, text: try String(contentsOfFile: path, encoding: .utf8))
        var overrides = BindingOverrides()
        overrides.jobDirectory = ExampleJobTests.root + "/queries"
        let job = try #require(Compiler.compile(source, overrides: overrides).job)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(Explain.physicalJSON(job.physical).utf8)) as? [String: Any])
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(nodes.count == job.physical.nodes.count)
        let byOperator = Dictionary(grouping: nodes) { $0["operator"] as? String ?? "" }
        #expect(byOperator["AssignTimestamp"]?.first?["time"] as? String == "EventEnqueuedUtcTime")
        #expect(byOperator["WindowAggregate"]?.contains { $0["window"] as? String == "tumbling(1h)" && $0["keys"] as? [String] == ["DeviceId"] } == true)
        #expect(byOperator["Analytic"]?.first?["partition_keys"] as? [[String]] == [["DeviceId"]])
        #expect((json["sinks"] as? [Int])?.count == 7)
    }
}
