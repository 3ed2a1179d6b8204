import Foundation
import Testing

/// The real PostgreSQL server the tests talk to: `scripts/postgres-server.sh start` exports its
/// URL. Without it these tests are skipped, unless `SAQL_REQUIRE_POSTGRES=1` (as `make test` sets),
/// when its absence is a failure.
enum PostgresServer {
    static let url = ProcessInfo.processInfo.environment["SAQL_TEST_PG_URL"]
    static let required = ProcessInfo.processInfo.environment["SAQL_REQUIRE_POSTGRES"] == "1"
    static var available: Bool { url != nil || required }

    static func requireURL() throws -> String {
        guard let url else { throw TestFailure("SAQL_TEST_PG_URL is not set: start the server with scripts/postgres-server.sh") }
        return url
    }

    /// Runs SQL through `psql` (an independent client); returns its rows as `a|b|c` lines.
    @discardableResult
    static func psql(_ sql: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = [try requireURL(), "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "|", "-c", sql]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("psql: \(String(decoding: errors, as: UTF8.self))") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Stops or starts the server (`scripts/postgres-server.sh`).
    static func control(_ command: String) throws {
        let env = ProcessInfo.processInfo.environment
        guard let script = env["SAQL_TEST_PG_CTL"], let port = env["SAQL_TEST_PG_PORT"] else { throw TestFailure("SAQL_TEST_PG_CTL is not set") }
        // system(), not Process: the server that pg_ctl starts outlives the shell, and Foundation's
        // waitUntilExit spins on it.
        guard system("\(script) \(command) \(port) >/dev/null 2>&1 </dev/null") == 0 else { throw TestFailure("postgres-server.sh \(command) failed") }
    }

    /// A table name of its own for each test run.
    static func table(_ name: String) -> String { "\(name)_\(UUID().uuidString.prefix(8).lowercased())" }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@Suite(.enabled(if: PostgresServer.available, "needs SAQL_TEST_PG_URL (scripts/postgres-server.sh start)"), .serialized)
struct PostgresTests {
    /// A job writing the same statements to PostgreSQL (insert, upsert) and to SQLite.
    static func job(_ tables: (rows: String, state: String, aggregates: String), checkpoint: String = "100ms") -> String {
        """
        SET checkpoint_interval = '\(checkpoint)';
        SET out_of_order_tolerance = '5s';
        CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
        CREATE OUTPUT HotPg WITH (connector = 'postgres', url = '${PG_URL}', table = '\(tables.rows)');
        CREATE OUTPUT StatePg WITH (connector = 'postgres', url = '${PG_URL}', table = '\(tables.state)', mode = 'upsert', key = 'DeviceId');
        CREATE OUTPUT AggPg WITH (connector = 'postgres', url = '${PG_URL}', table = '\(tables.aggregates)');
        CREATE OUTPUT HotLite WITH (connector = 'sqlite', path = 'out/iot.db', table = 'hot');
        CREATE OUTPUT StateLite WITH (connector = 'sqlite', path = 'out/iot.db', table = 'state', mode = 'upsert', key = 'DeviceId');
        WITH T AS (SELECT * FROM Telemetry TIMESTAMP BY EventTime)
        SELECT DeviceId, Temperature, Vibration, EventTime INTO HotPg FROM T WHERE Temperature > 98
        SELECT DeviceId, Temperature, Vibration, EventTime INTO HotLite FROM T WHERE Temperature > 98
        SELECT DeviceId, Temperature, Vibration, EventTime INTO StatePg FROM T
        SELECT DeviceId, Temperature, Vibration, EventTime INTO StateLite FROM T
        SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS avgTemp, System.Timestamp() AS WindowEnd
        INTO AggPg FROM T GROUP BY DeviceId, TumblingWindow(minute, 5)
        """
    }

    struct Run {
        var status: Int32
        var reason: Process.TerminationReason
        var log: String
    }

    func directory(_ name: String, job: String, events: String) throws -> String {
        let dir = NSTemporaryDirectory() + "saql-pg-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        try events.write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    func process(_ dir: String, state: Bool = true, arguments: [String] = [], environment: [String: String] = [:]) throws -> (Process, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CheckpointTests.saql)
        p.arguments = ["run", dir + "/job.saql"] + (state ? ["--state", dir + "/state"] : []) + arguments
        var env = ProcessInfo.processInfo.environment
        env["PG_URL"] = try PostgresServer.requireURL()
        env["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = env.merging(environment) { $1 }
        let log = dir + "/run-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, log)
    }

    func run(_ dir: String, state: Bool = true, arguments: [String] = [], environment: [String: String] = [:]) throws -> Run {
        let (p, log) = try process(dir, state: state, arguments: arguments, environment: environment)
        p.waitUntilExit()
        return Run(status: p.terminationStatus, reason: p.terminationReason, log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// The PostgreSQL tables' rows, in a fixed order, with floats and times as SQLite shows them.
    func pgRows(_ t: (rows: String, state: String, aggregates: String)) throws -> [String: [String]] {
        [
            "hot": try PostgresServer.psql("SELECT \"DeviceId\", \"Temperature\", \"Vibration\", \"EventTime\" FROM \(t.rows) ORDER BY \"EventTime\", \"DeviceId\", \"Temperature\""),
            "state": try PostgresServer.psql("SELECT \"DeviceId\", \"Temperature\", \"Vibration\", \"EventTime\" FROM \(t.state) ORDER BY \"DeviceId\""),
            "aggregates": try PostgresServer.psql("SELECT \"DeviceId\", n, \"avgTemp\", \"WindowEnd\" FROM \(t.aggregates) ORDER BY \"WindowEnd\", \"DeviceId\""),
        ]
    }

    func sqliteRows(_ dir: String) throws -> [String: [String]] {
        func q(_ sql: String) throws -> [String] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", "import sqlite3,sys; [print('|'.join('' if v is None else str(v) for v in r)) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]",
                           dir + "/out/iot.db", sql]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        return ["hot": try q("SELECT DeviceId, Temperature, Vibration, EventTime FROM hot ORDER BY EventTime, DeviceId, Temperature"),
                "state": try q("SELECT DeviceId, Temperature, Vibration, EventTime FROM state ORDER BY DeviceId")]
    }

    func tables() -> (rows: String, state: String, aggregates: String) {
        (PostgresServer.table("hot"), PostgresServer.table("state"), PostgresServer.table("agg"))
    }

    func drop(_ t: (rows: String, state: String, aggregates: String)) {
        _ = try? PostgresServer.psql("DROP TABLE IF EXISTS \(t.rows), \(t.state), \(t.aggregates); "
            + "DELETE FROM saql_progress WHERE table_name IN ('\(t.rows)', '\(t.state)', '\(t.aggregates)')")
    }

    /// Python's float text for PostgreSQL's (`98.5` either way; `1e+20` vs `1e20`).
    func normalized(_ rows: [String]) -> [String] {
        rows.map { $0.split(separator: "|", omittingEmptySubsequences: false).map { f in Double(f).map { "\($0)" } ?? String(f) }.joined(separator: "|") }
    }

    @Test func insertAndUpsertEqualTheSQLiteSinksRows() throws {
        let t = tables()
        defer { drop(t) }
        let dir = try directory("equal", job: Self.job(t), events: CheckpointTests.telemetry(20_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(dir)
        #expect(r.status == 0, "\(r.log)")
        let pg = try pgRows(t), lite = try sqliteRows(dir)
        #expect((pg["hot"]?.count ?? 0) > 100)
        #expect(pg["state"]?.count == 1000)
        #expect(normalized(pg["hot"] ?? []) == normalized(lite["hot"] ?? []))
        #expect(normalized(pg["state"] ?? []) == normalized(lite["state"] ?? []))
        let columns = try PostgresServer.psql("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '\(t.aggregates)' ORDER BY ordinal_position")
        #expect(columns == ["DeviceId|text", "n|bigint", "avgTemp|double precision", "WindowEnd|timestamp with time zone"])
        let key = try PostgresServer.psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            + "WHERE i.indrelid = '\(t.state)'::regclass AND i.indisprimary")
        #expect(key == ["DeviceId"], "upsert's key is the created table's primary key")
        let progress = try PostgresServer.psql("SELECT seq > 0, length(state) > 0 FROM saql_progress WHERE table_name = '\(t.rows)'")
        #expect(progress == ["t|t"], "the progress row holds the last commit's checkpoint")
    }

    @Test func killNineAtRandomMomentsLosesAndDoublesNoRow() throws {
        let t = tables(), reference = tables()
        defer { drop(t); drop(reference) }
        let events = CheckpointTests.telemetry(1_000_000)
        let ref = try directory("reference", job: Self.job(reference, checkpoint: "10s"), events: events)
        let dir = try directory("killed", job: Self.job(t, checkpoint: "300ms"), events: events)
        defer {
            try? FileManager.default.removeItem(atPath: ref)
            try? FileManager.default.removeItem(atPath: dir)
        }
        #expect(try run(ref).status == 0)
        var rng = SplitMix(seed: 11)
        var kills = 0
        for _ in 0..<60 {
            let (p, _) = try process(dir)
            let delay = kills < 8 ? 0.4 + Double(rng.next() % 1500) / 1000 : 600
            let deadline = Date().addingTimeInterval(delay)
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                kills += 1
                continue
            }
            #expect(p.terminationStatus == 0)
            break
        }
        #expect(kills >= 8)
        let expected = try pgRows(reference), actual = try pgRows(t)
        #expect((expected["hot"]?.count ?? 0) > 10_000)
        for name in ["hot", "state", "aggregates"] {
            #expect(actual[name] == expected[name], "\(name): \(actual[name]?.count ?? 0) rows after \(kills) kills, \(expected[name]?.count ?? 0) uninterrupted")
        }
    }

    /// A crash after PostgreSQL committed a checkpoint and before the state directory stored it:
    /// the next start resumes from the database's newer checkpoint instead of writing its rows again.
    @Test func aCrashBetweenTheCommitAndTheStoredCheckpointResumesFromTheDatabase() throws {
        let t = tables(), reference = tables()
        defer { drop(t); drop(reference) }
        let events = CheckpointTests.telemetry(100_000)
        let ref = try directory("reference", job: Self.job(reference), events: events)
        let dir = try directory("commit", job: Self.job(t), events: events)
        defer {
            try? FileManager.default.removeItem(atPath: ref)
            try? FileManager.default.removeItem(atPath: dir)
        }
        #expect(try run(ref).status == 0)
        let crashed = try run(dir, environment: ["SAQL_CRASH_AT": "commit:4"])
        #expect(crashed.reason == .uncaughtSignal)
        let resumed = try run(dir)
        #expect(resumed.status == 0, "\(resumed.log)")
        #expect(resumed.log.contains("resuming from the newer checkpoint that postgres output"), "\(resumed.log)")
        #expect(try pgRows(t) == (try pgRows(reference)))
    }

    /// A lost state directory: the database's checkpoint carries on (no row twice), and
    /// `--from-scratch` empties the tables and starts over.
    @Test func aLostStateDirectoryResumesFromTheDatabaseAndFromScratchStartsOver() throws {
        let t = tables()
        defer { drop(t) }
        let dir = try directory("lost", job: Self.job(t), events: CheckpointTests.telemetry(30_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try run(dir).status == 0)
        let before = try pgRows(t)
        try FileManager.default.removeItem(atPath: dir + "/state")
        try FileManager.default.removeItem(atPath: dir + "/out")
        let again = try run(dir)
        #expect(again.status == 0, "\(again.log)")
        #expect(again.log.contains("resuming from the newer checkpoint"))
        #expect(try pgRows(t) == before, "the finished run's checkpoint came back from the database: nothing written twice")
        let scratch = try run(dir, arguments: ["--from-scratch"])
        #expect(scratch.status == 0, "\(scratch.log)")
        #expect(try pgRows(t) == before, "from scratch: emptied and written once more")
    }

    /// Rows written by a run without --state are not accounted for by any checkpoint: a later
    /// checkpointed start refuses to double them.
    @Test func unaccountedRowsAreRefused() throws {
        let t = tables()
        defer { drop(t) }
        let dir = try directory("plain", job: Self.job(t), events: CheckpointTests.telemetry(5_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try run(dir, state: false)
        #expect(plain.status == 0, "\(plain.log)")
        let refused = try run(dir)
        #expect(refused.status == 1)
        #expect(refused.log.contains("rows that no checkpoint accounts for") && refused.log.contains("--from-scratch"), "\(refused.log)")
    }

    /// The server stopped mid-run and started again: the job waits, retries, and ends with every row once.
    @Test func aServerRestartMidRunLosesNoRow() throws {
        let t = tables(), reference = tables()
        defer { drop(t); drop(reference) }
        let events = CheckpointTests.telemetry(300_000)
        let ref = try directory("reference", job: Self.job(reference), events: events)
        let dir = try directory("restart", job: Self.job(t, checkpoint: "200ms"), events: events)
        defer {
            try? FileManager.default.removeItem(atPath: ref)
            try? FileManager.default.removeItem(atPath: dir)
        }
        #expect(try run(ref).status == 0)
        let (p, log) = try process(dir)
        Thread.sleep(forTimeInterval: 1.0)
        #expect(p.isRunning, "the job is still running when the server stops")
        try PostgresServer.control("stop")
        Thread.sleep(forTimeInterval: 2.0)
        try PostgresServer.control("restart")
        p.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 0, "\(text.suffix(800))")
        #expect(text.contains("retrying in"), "the job waited for the server: \(text.suffix(800))")
        #expect(try pgRows(t) == (try pgRows(reference)))
    }

    /// A table the job may not write, or one with other columns: a clear error naming them.
    @Test func permissionAndColumnMismatchesAreClearErrors() throws {
        let t = tables()
        let role = PostgresServer.table("saql_reader")
        defer { drop(t) }
        try PostgresServer.psql("CREATE TABLE \(t.rows) (\"DeviceId\" TEXT, other INT)")
        let dir = try directory("columns", job: Self.job(t), events: CheckpointTests.telemetry(2_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mismatch = try run(dir, state: false)
        #expect(mismatch.status == 1)
        #expect(mismatch.log.contains("has no column 'Temperature', 'Vibration', 'EventTime' (it has DeviceId, other)"), "\(mismatch.log)")
        try PostgresServer.psql("DROP TABLE \(t.rows); CREATE TABLE \(t.rows) (\"DeviceId\" TEXT, \"Temperature\" FLOAT, \"Vibration\" BIGINT, \"EventTime\" TEXT); "
            + "CREATE ROLE \(role) LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role); GRANT CREATE ON SCHEMA public TO \(role)")
        defer { _ = try? PostgresServer.psql("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let reader = try PostgresServer.requireURL().replacingOccurrences(of: "//saql@", with: "//\(role)@")
        let denied = try run(dir, state: false, environment: ["PG_URL": reader])
        #expect(denied.status == 1)
        #expect(denied.log.contains("permission denied"), "\(denied.log)")
    }

    /// The password never reaches EXPLAIN or messages, whether written in the URL or in `${...}`.
    @Test func referenceTablesRefreshAndKeepTheLastGoodTable() throws {
        let dir = try ReferenceDataTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = PostgresServer.table("devices")
        defer { _ = try? PostgresServer.psql("DROP TABLE IF EXISTS \(table)") }
        try ReferenceDataTests.refreshScenario(in: dir, table: table, declaration: "connector = 'postgres', url = '\(try PostgresServer.requireURL())'") {
            try PostgresServer.psql($0)
        }
    }

    @Test func rowsWaitingForACheckpointAreBounded() throws {
        let table = PostgresServer.table("bounded")
        defer { _ = try? PostgresServer.psql("DROP TABLE IF EXISTS \(table); DELETE FROM saql_progress WHERE table_name = '\(table)'") }
        let dir = try directory("bounded", job: """
            SET checkpoint_interval = '1h';
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT All WITH (connector = 'postgres', url = '${PG_URL}', table = '\(table)');
            SELECT DeviceId, Temperature INTO All FROM Telemetry
            """, events: CheckpointTests.telemetry(250_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(dir)
        #expect(r.status == 0, "\(r.log)")
        #expect(try PostgresServer.psql("SELECT count(*) FROM \(table)") == ["250000"])
        // An hour's interval, yet a checkpoint (a commit) at least every 100,000 rows, and the last at the end.
        let seq = Int(try PostgresServer.psql("SELECT seq FROM saql_progress WHERE table_name = '\(table)'").first ?? "") ?? 0
        #expect(seq >= 3, "\(seq) commits")
    }

    @Test func passwordsNeverAppear() throws {
        let t = tables()
        let dir = try directory("secret", job: Self.job(t).replacingOccurrences(of: "'${PG_URL}'", with: "'postgresql://saql:hunter2secret@127.0.0.1:1/saql'"),
                                events: CheckpointTests.telemetry(10))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let explain = try runSAQL(["explain", dir + "/job.saql"], includingErrors: true)
        #expect(explain.stdout.contains("url=postgresql://saql:***@127.0.0.1:1/saql"))
        #expect(!explain.stdout.contains("hunter2"))
        // Nothing listens on port 1: the job waits for the server, retrying, until it is stopped.
        let (p, log) = try process(dir, state: false)
        Thread.sleep(forTimeInterval: 1.5)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("postgres 127.0.0.1:1/saql: cannot connect") && text.contains("retrying in"), "\(text)")
        #expect(p.terminationStatus == 143 || p.terminationStatus == 1, "\(text)")
        #expect(!text.contains("hunter2"), "\(text)")
    }
}
