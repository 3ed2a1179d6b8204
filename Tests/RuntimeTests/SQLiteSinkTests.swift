import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// The SQLite output through the real library: table creation, insert and upsert, misfit tables.
struct SQLiteSinkTests {
    func run(_ job: String, events: [String], in dir: String) throws -> RuntimeCounters {
        try events.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        let pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
        try pipeline.runFileInputs()
        return pipeline.context.counters
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-sqlite-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let events = [
        #"{"DeviceId":"a","Temp":20.5,"Count":1,"Time":"2024-01-01T00:00:01Z","Tags":{"x":1}}"#,
        #"{"DeviceId":"b","Temp":21.0,"Count":2,"Time":"2024-01-01T00:00:02Z","Tags":null}"#,
        #"{"DeviceId":"A","Temp":22.5,"Count":3,"Time":"2024-01-01T00:00:03Z","Tags":{"x":3}}"#,
    ]

    @Test func insertAndUpsert() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try run("""
            CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Log WITH (connector = 'sqlite', path = 'out/state.db', table = 'log');
            CREATE OUTPUT State WITH (connector = 'sqlite', path = 'out/state.db', table = 'state', mode = 'upsert', key = 'Device');
            SELECT DeviceId, Temp, Count, Time, Tags INTO Log FROM Events TIMESTAMP BY Time
            SELECT LOWER(DeviceId) AS Device, Temp, Time INTO State FROM Events TIMESTAMP BY Time
            """, events: Self.events, in: dir)
        let db = try SQLiteDatabase(path: dir + "/out/state.db", readOnly: true)
        let log = try db.query("SELECT DeviceId, Temp, Count, Time, Tags, typeof(Temp) AS t, typeof(Count) AS c FROM log ORDER BY rowid")
        #expect(log.map { Conversions.string(.record($0)) ?? "" } == [
            #"{"DeviceId":"a","Temp":20.5,"Count":1,"Time":"2024-01-01T00:00:01Z","Tags":"{\"x\":1}","t":"real","c":"integer"}"#,
            #"{"DeviceId":"b","Temp":21.0,"Count":2,"Time":"2024-01-01T00:00:02Z","Tags":null,"t":"real","c":"integer"}"#,
            #"{"DeviceId":"A","Temp":22.5,"Count":3,"Time":"2024-01-01T00:00:03Z","Tags":"{\"x\":3}","t":"real","c":"integer"}"#,
        ])
        let state = try db.query("SELECT Device, Temp FROM state ORDER BY Device")
        #expect(state.map { Conversions.string(.record($0)) ?? "" } == [#"{"Device":"a","Temp":22.5}"#, #"{"Device":"b","Temp":21.0}"#])
        let mode = try db.query("PRAGMA journal_mode")
        #expect(mode.first?.values.first == .string("wal"))
    }

    @Test func aTableThatDoesNotFitIsAClearError() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/state.db", readOnly: false)
        try db.execute("CREATE TABLE log (DeviceId TEXT, Other TEXT)")
        #expect {
            try run("""
                CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
                CREATE OUTPUT Log WITH (connector = 'sqlite', path = 'state.db', table = 'log');
                SELECT DeviceId, Temp INTO Log FROM Events
                """, events: Self.events, in: dir)
        } throws: { error in
            "\(error)".contains("table 'log'") && "\(error)".contains("has no column 'Temp'") && "\(error)".contains("DeviceId, Other")
        }
        try db.execute("CREATE TABLE st (Device TEXT, Temp REAL)")
        #expect {
            try run("""
                CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
                CREATE OUTPUT S WITH (connector = 'sqlite', path = 'state.db', table = 'st', mode = 'upsert', key = 'Device');
                SELECT DeviceId AS Device, Temp INTO S FROM Events
                """, events: Self.events, in: dir)
        } throws: { error in
            "\(error)".contains("primary key or a unique index")
        }
    }

    /// `output_error_policy = 'drop'`: a row the table rejects is counted and the run goes on.
    @Test func dropPolicyCountsRejectedRows() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/state.db", readOnly: false)
        try db.execute("CREATE TABLE log (DeviceId TEXT, Temp REAL CHECK (Temp < 22))")
        let counters = try run("""
            SET output_error_policy = 'drop';
            CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Log WITH (connector = 'sqlite', path = 'state.db', table = 'log');
            SELECT DeviceId, Temp INTO Log FROM Events
            """, events: Self.events, in: dir)
        #expect(counters.outputErrors == 1)
        #expect(try db.query("SELECT count(*) AS n FROM log").first?.values.first == .bigint(2))
    }
}
