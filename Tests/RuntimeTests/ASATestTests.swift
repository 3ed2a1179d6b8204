import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// `saql test` on the sample ASA project (queries/asa-project): ASA's testConfig.json unchanged,
/// testResultSummary.json, JUnit, readable diffs and exit codes.
struct ASATestTests {
    static let project = ExampleJobTests.root + "/queries/asa-project"

    func saql(_ arguments: [String]) throws -> (status: Int32, stdout: String) { try runSAQL(arguments, includingErrors: true) }

    func copy() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-asaproj-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Self.project, toPath: dir)
        return dir
    }

    @Test func theSampleProjectPasses() throws {
        let dir = try copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try saql(["test", "--project", dir + "/asaproj.json", "--output-path", dir + "/results", "--junit", dir + "/junit.xml"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("2 test cases: 2 passed, 0 failed"))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/results/testResultSummary.json"))) as? [String: Any])
        #expect(summary["Total"] as? Int == 2 && summary["Passed"] as? Int == 2 && summary["Failed"] as? Int == 0)
        let statuses = (summary["Results"] as? [[String: Any]] ?? []).flatMap { ($0["OutputResults"] as? [[String: Any]] ?? []).compactMap { $0["Status"] as? String } }
        #expect(statuses == ["OutputMatched", "OutputMatched", "OutputUnrequired", "OutputMatched"])
        let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        #expect(junit.contains(#"<testsuite name="TemperatureAlerts.asaql" tests="2" failures="0""#))
        // The same suite through --test-config and the query path.
        let direct = try saql(["test", dir + "/TemperatureAlerts.asaql", "--test-config", dir + "/Test/testConfig.json", "--job-config", dir + "/JobConfig.json"])
        #expect(direct.status == 0, "\(direct.stdout)")
    }

    @Test func aWrongExpectedValueFailsWithADiff() throws {
        let dir = try copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/Test/expected-normal-aggregates.json"
        try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: #""AvgTemperature":21.0"#, with: #""AvgTemperature":21.5"#)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try saql(["test", "--project", dir + "/asaproj.json", "--junit", dir + "/junit.xml"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL  normal readings"))
        #expect(r.stdout.contains("AggregatesOutput: OutputNotEqual"))
        #expect(r.stdout.contains("expected row 1: AvgTemperature: expected 21.5, got 21"), "\(r.stdout)")
        #expect(r.stdout.contains("2 test cases: 1 passed, 1 failed"))
        let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        #expect(junit.contains(#"<failure message="AggregatesOutput: OutputNotEqual">"#))
    }

    @Test func aQueryThatDoesNotCompileExitsTwo() throws {
        let dir = try copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "SELECT DeviceId FROM".write(toFile: dir + "/TemperatureAlerts.asaql", atomically: true, encoding: .utf8)
        let r = try saql(["test", "--project", dir + "/asaproj.json"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("error[SAQL"))
    }

    /// An ASA project with JavaScript functions (Functions/NAME.js beside NAME.js.json) runs
    /// unchanged: test, run (local inputs, LocalRunOutputs/) and check.
    @Test func aProjectWithFunctions() throws {
        let dir = NSTemporaryDirectory() + "saql-asaproj-udf-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: ExampleJobTests.root + "/queries/asa-project-udf", toPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let test = try saql(["test", "--project", dir + "/asaproj.json"])
        #expect(test.status == 0, "\(test.stdout)")
        #expect(test.stdout.contains("1 test cases: 1 passed, 0 failed"))
        let run = try saql(["run", "--project", dir + "/asaproj.json", "--quiet"])
        #expect(run.status == 0, "\(run.stdout)")
        let health = try String(contentsOfFile: dir + "/LocalRunOutputs/HealthOutput.jsonl", encoding: .utf8)
        #expect(health.hasPrefix(#"{"DeviceId":"pump-1","TemperatureSpread":2.5,"Readings":3,"#), "\(health)")
        #expect(try saql(["check", "--project", dir + "/asaproj.json"]).status == 0)
        // A syntax error in a function's file names the file and its line.
        let js = dir + "/Functions/hexToInt.js"
        try String(contentsOfFile: js, encoding: .utf8).replacingOccurrences(of: "parseInt(hexValue, 16)", with: "parseInt(hexValue, 16")
            .write(toFile: js, atomically: true, encoding: .utf8)
        let broken = try saql(["check", "--project", dir + "/asaproj.json"])
        #expect(broken.status == 2)
        #expect(broken.stdout.contains("SAQL2160") && broken.stdout.contains("Functions/hexToInt.js line 3"), "\(broken.stdout)")
        // A C# function is refused by name rather than run without it.
        let config = dir + "/Functions/hexToInt.js.json"
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "JavascriptUdf", with: "CLRUdf")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let csharp = try saql(["test", "--project", dir + "/asaproj.json"])
        #expect(csharp.status == 1)
        #expect(csharp.stdout.contains("function 'hexToInt' is Microsoft.StreamAnalytics/CLRUdf: saql runs JavaScript functions only"), "\(csharp.stdout)")
    }

    @Test func comparisonRules() {
        let expected: [[String: Any]] = [["a": 1, "t": "2024-01-01T00:00:00Z"], ["a": 2, "t": "2024-01-01T00:01:00Z"]]
        let actual: [[String: Any]] = [["a": 2.0, "t": "2024-01-01T00:01:00.0000000Z"], ["t": "2024-01-01T00:00:00.0000000Z", "a": 1]]
        #expect(ASATestRunner.compare(expected: expected, actual: actual, ignoring: []).isEmpty, "order, number form and datetime form do not matter")
        let diff = ASATestRunner.compare(expected: expected, actual: [["a": 1, "t": "2024-01-01T00:00:00Z"], ["a": 3, "t": "2024-01-01T00:01:00Z"]], ignoring: [])
        #expect(diff == ["expected row 2: a: expected 2, got 3"])
        #expect(ASATestRunner.compare(expected: [["a": 1, "x": 1]], actual: [["a": 1, "x": 2]], ignoring: ["x"]).isEmpty)
        #expect(ASATestRunner.compare(expected: [], actual: [["a": 1]], ignoring: []) == ["expected 0 rows, got 1", #"unexpected row: {"a":1}"#])
    }
}
