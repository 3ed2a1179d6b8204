import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Reference data through the real SQLite library and the embedding API: loading, refresh on a
/// (test-controlled) wall clock, whole-table swaps, and keeping the last good table when a reload fails.
struct ReferenceDataTests {
    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-ref-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func sqliteReferenceRefreshesOnTheWallClock() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/devices.db", readOnly: false)
        try Self.refreshScenario(in: dir, table: "devices", declaration: "connector = 'sqlite', path = 'devices.db'") { try db.execute($0) }
    }

    /// Loading, refresh on a manual clock, whole-table swaps and keeping the last good table, for
    /// any connector whose reference table `table` is changed through `execute` (SQL).
    static func refreshScenario(in dir: String, table: String, declaration: String, execute: (String) throws -> Void) throws {
        try execute("""
            CREATE TABLE \(table) (id TEXT, site TEXT, max_temp REAL);
            INSERT INTO \(table) VALUES ('d1', 'north', 80.0), ('d2', 'south', NULL);
            """)
        var out: [Record] = []
        var warnings: [String] = []
        let job = """
            CREATE REFERENCE INPUT Devices WITH (\(declaration), table = '\(table)', refresh = '1m')
            SELECT t.id, d.site, d.max_temp INTO Out FROM Telemetry t JOIN Devices d ON t.id = d.id
            """
        var overrides = BindingOverrides()
        overrides.embedded = true
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        let job1 = try #require(compiled, "\(DiagnosticRenderer().render(diagnostics, in: source))")
        var options = PipelineOptions(runStart: 0)
        options.onRow = { _, record, _ in out.append(record) }
        let context = RuntimeContext()
        let clock = ManualClock(0)
        context.clock = clock
        context.onRowError = { warnings.append($0) }
        let pipeline = try Pipeline(plan: job1.physical, settings: job1.settings, options: options, context: context)
        let decoder = try #require(pipeline.decoder(for: "Telemetry"))

        func push(_ id: String) throws {
            var batch = EventBatch(width: decoder.width)
            var d = decoder
            var bytes = Array(#"{"id":"\#(id)"}"#.utf8)
            try bytes.withUnsafeMutableBufferPointer { try d.decode(UnsafeBufferPointer($0), into: &batch, defaultArrival: 0) }
            try pipeline.push(batch, to: "Telemetry")
        }

        try push("d1")
        try push("d2")
        #expect(out == [
            Record(["id": .string("d1"), "site": .string("north"), "max_temp": .float(80)]),
            Record(["id": .string("d2"), "site": .string("south"), "max_temp": .null]),
        ])
        // The table changes; before the refresh interval the old rows are still used.
        try execute("UPDATE \(table) SET site = 'east' WHERE id = 'd1'; INSERT INTO \(table) VALUES ('d3', 'west', 1.5);")
        clock.now = 30 * Timestamp.ticksPerSecond
        out = []
        try push("d1")
        try push("d3")
        #expect(out == [Record(["id": .string("d1"), "site": .string("north"), "max_temp": .float(80)])])
        // After a minute the new table is loaded whole.
        clock.now = 61 * Timestamp.ticksPerSecond
        out = []
        try push("d1")
        try push("d3")
        #expect(out == [
            Record(["id": .string("d1"), "site": .string("east"), "max_temp": .float(80)]),
            Record(["id": .string("d3"), "site": .string("west"), "max_temp": .float(1.5)]),
        ])
        // A failed reload keeps the last good table and says so.
        try execute("DROP TABLE \(table)")
        clock.now = 200 * Timestamp.ticksPerSecond
        out = []
        try push("d3")
        #expect(out == [Record(["id": .string("d3"), "site": .string("west"), "max_temp": .float(1.5)])])
        #expect(warnings.contains { $0.contains("reload failed, keeping the previous data") })
        try pipeline.finish()
    }

    @Test func missingReferenceDatabaseFailsAtStart() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var overrides = BindingOverrides()
        overrides.embedded = true
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: """
            CREATE REFERENCE INPUT Devices WITH (connector = 'sqlite', path = 'missing.db', query = 'SELECT 1 AS id')
            SELECT t.id INTO Out FROM Telemetry t JOIN Devices d ON t.id = d.id
            """)
        let compiled = try #require(Compiler.compile(source, overrides: overrides, check: .complete).job)
        #expect(throws: ConnectorError.self) {
            _ = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
        }
    }

    @Test func embeddedReferenceTablesAreSwappedWhole() async throws {
        var options = Engine.Options()
        options.referenceInputs = ["Thresholds"]
        let engine = try Engine(job: """
            SELECT t.DeviceId, t.Temp, th.Limit INTO Alerts
            FROM Telemetry t JOIN Thresholds th ON t.DeviceId = th.DeviceId
            WHERE t.Temp > th.Limit
            """, options: options)
        let alerts = try engine.rows(of: "Alerts")
        try await engine.setReference("Thresholds", rows: [Record(["DeviceId": .string("d1"), "Limit": .bigint(30)])])
        try await engine.push(json: #"{"DeviceId":"d1","Temp":35}"#, to: "Telemetry")
        try await engine.setReference("thresholds", rows: [Record(["DeviceId": .string("d1"), "Limit": .bigint(40)])])
        try await engine.push(json: #"{"DeviceId":"d1","Temp":35}"#, to: "Telemetry")
        try await engine.push(json: #"{"DeviceId":"d1","Temp":45}"#, to: "Telemetry")
        try await engine.finish()
        var temps: [Value] = []
        for try await row in alerts { temps.append(row["Temp"] ?? .null) }
        #expect(temps == [.bigint(35), .bigint(45)])
        let fresh = try Engine(job: "SELECT t.a INTO Out FROM T t JOIN R r ON t.a = r.a", options: {
            var o = Engine.Options()
            o.referenceInputs = ["R"]
            return o
        }())
        await #expect(throws: SAQLError.self) { try await fresh.setReference("Nope", rows: []) }
    }
}
