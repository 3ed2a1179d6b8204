import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// JavaScript functions through the CLI: a function that never returns stops the job with an error
/// that names it (what was written before it stays written), and broken code is a compile error at the job's line.
struct UserFunctionTests {
    func jobDirectory(_ job: String, input: String) throws -> String {
        let dir = NSTemporaryDirectory() + "saql-udf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        try input.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func endlessLoopStopsTheJob() throws {
        let job = """
            SET udf_timeout = '200ms';
            CREATE INPUT Input WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            CREATE FUNCTION spin WITH (language = 'javascript', kind = 'scalar',
                code = 'function spin(x) { if (x > 1) { while (true) {} } return x; }');
            SELECT udf.spin(a) AS a INTO Out FROM Input
            """
        let dir = try jobDirectory(job, input: "{\"a\":1}\n{\"a\":2}\n{\"a\":1}\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = Date()
        let (status, log) = try runSAQL(["run", dir + "/job.saql", "--quiet"], includingErrors: true)
        let seconds = Date().timeIntervalSince(start)
        #expect(status == 1)
        #expect(log.contains("udf.spin ran longer than udf_timeout"), "\(log)")
        #expect(seconds < 20, "the job took \(seconds) s to stop")
        // The row before the failing call was written.
        #expect(try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8) == "{\"a\":1}\n")
    }

    @Test func brokenCodeIsACompileErrorAtItsLine() throws {
        let job = """
            CREATE INPUT Input WITH (connector = 'file', path = 'in.jsonl');
            CREATE FUNCTION f WITH (language = 'javascript', kind = 'scalar', code = '
                function f(x) {
                    return x +;
                }');
            SELECT udf.f(a) AS a FROM Input
            """
        let dir = try jobDirectory(job, input: "{\"a\":1}\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, out) = try runSAQL(["check", dir + "/job.saql"], includingErrors: true)
        #expect(status != 0)
        #expect(out.contains("job.saql:4:"), "\(out)")
        #expect(out.contains("SAQL2160"), "\(out)")
    }

    /// A UDA whose state has no JSON form (a cycle) makes the checkpoint fail by name: a checkpoint
    /// that silently lacked the state would lose it at the next restart.
    @Test func stateWithoutJSONFailsTheCheckpoint() throws {
        let dir = NSTemporaryDirectory() + "saql-uda-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointTests.telemetry(1_000).write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            CREATE FUNCTION Loop WITH (kind = 'aggregate', code = 'function main() {
                this.init = function () { this.n = 0; this.self = this; };
                this.accumulate = function (v, t) { this.n += 1; };
                this.computeResult = function () { return this.n; }; }');
            SELECT DeviceId, uda.Loop(Temperature) AS n INTO Out FROM Telemetry TIMESTAMP BY EventTime
            GROUP BY DeviceId, TumblingWindow(minute, 1)
            """)
        let job = try #require(Compiler.compile(source, overrides: overrides, check: .complete).job)
        let pipeline = try Pipeline(plan: job.physical, settings: job.settings, options: PipelineOptions(runStart: 0))
        var reads = 0
        try pipeline.run(until: { reads += 1; return reads > 1 })
        #expect(pipeline.heldRows > 0)
        #expect {
            _ = try pipeline.checkpoint()
        } throws: { "\($0)".contains("uda.Loop: its state cannot be saved as JSON") && "\($0)".contains("cyclic") }
    }
}
