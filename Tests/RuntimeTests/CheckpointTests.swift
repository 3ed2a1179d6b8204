import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Checkpoints under `kill -9`: a job killed at random points and restarted from its checkpoint
/// each time ends with exactly the outputs of an uninterrupted run.
struct CheckpointTests {
    static let root = ExampleJobTests.root
    static let saql = root + "/.build/debug/saql"

    /// 1,000 devices, one event per device every ~20 s of event time, a few out of order.
    static func telemetry(_ n: Int) -> String {
        var rng = SplitMix(seed: 7)
        var lines: [String] = []
        lines.reserveCapacity(n)
        let start = Timestamp(year: 2024, month: 1, day: 1).ticks
        for i in 0..<n {
            let jitter = Int64(rng.next() % 3) * Timestamp.ticksPerSecond
            let t = Timestamp(ticks: start + Int64(i) * Timestamp.ticksPerSecond / 50 - jitter)
            let device = "dev-\(rng.next() % 1000)"
            let temperature = 60 + Double(rng.next() % 4000) / 100
            lines.append(#"{"DeviceId":"\#(device)","Temperature":\#(temperature),"Vibration":\#(rng.next() % 100),"EventTime":"\#(t.iso8601)"}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let job = """
        SET checkpoint_interval = '100ms';
        SET out_of_order_tolerance = '5s';
        CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
        CREATE OUTPUT Aggregates WITH (connector = 'file', path = 'out/aggregates.jsonl');
        CREATE OUTPUT Hot WITH (connector = 'file', path = 'out/hot.csv');
        CREATE OUTPUT Changes WITH (connector = 'file', path = 'out/changes.jsonl');
        CREATE OUTPUT DeviceState WITH (connector = 'sqlite', path = 'out/iot.db', table = 'device_state', mode = 'upsert', key = 'DeviceId');
        CREATE OUTPUT HotRows WITH (connector = 'sqlite', path = 'out/iot.db', table = 'hot');
        CREATE OUTPUT Archive WITH (connector = 'file', path = 'out/lake/{date}/{time}/telemetry.jsonl', time_format = 'HH-mm',
            max_file_size = '40KB');
        CREATE OUTPUT ParquetLake WITH (connector = 'file', path = 'out/pq/{date}/{time}/telemetry.parquet', time_format = 'HH-mm',
            min_rows = '1200', row_group_rows = '500');
        CREATE OUTPUT AvroLake WITH (connector = 'file', path = 'out/avro/{date}/{time}.avro', time_format = 'HH-mm',
            min_rows = '1700', compression = 'snappy');
        WITH T AS (SELECT * FROM Telemetry TIMESTAMP BY EventTime)
        SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS avgTemp, STDEV(Vibration) AS sdVib, System.Timestamp() AS WindowEnd
        INTO Aggregates FROM T GROUP BY DeviceId, TumblingWindow(minute, 5)
        SELECT DeviceId, Temperature, EventTime INTO Hot FROM T WHERE Temperature > 99.5
        SELECT DeviceId, Temperature, LAG(Temperature) OVER (PARTITION BY DeviceId LIMIT DURATION(minute, 10)) AS previous
        INTO Changes FROM T WHERE Vibration > 97
        SELECT DeviceId, Temperature, Vibration, EventTime INTO DeviceState FROM T
        SELECT DeviceId, Temperature, EventTime INTO HotRows FROM T WHERE Temperature > 99
        SELECT * INTO Archive FROM T
        SELECT DeviceId, Temperature, Vibration, CAST(EventTime AS datetime) AS EventTime INTO ParquetLake FROM T
        SELECT DeviceId, Temperature, CAST(EventTime AS datetime) AS EventTime INTO AvroLake FROM T
        """

    func directory(_ name: String, events: String) throws -> String {
        let dir = NSTemporaryDirectory() + "saql-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        try events.write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    /// Starts a run; its stderr goes to `log` (when given). `crashAt` arms a ``CrashPoint``.
    func start(_ dir: String, log: String? = nil, crashAt: String? = nil, arguments: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.saql)
        p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state"] + arguments
        if let crashAt { p.environment = ProcessInfo.processInfo.environment.merging(["SAQL_CRASH_AT": crashAt]) { $1 } }
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: log)
        } else {
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        return p
    }

    func outputs(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in ["aggregates.jsonl", "hot.csv", "changes.jsonl"] {
            out[name] = try String(contentsOfFile: "\(dir)/out/\(name)", encoding: .utf8)
        }
        let lake = dir + "/out/lake"
        for file in FileManager.default.enumerator(atPath: lake)?.compactMap({ $0 as? String }) ?? [] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: lake + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue {
                out["lake/" + file] = try String(contentsOfFile: lake + "/" + file, encoding: .utf8)
            }
        }
        // Parquet and Avro files as their rows: a restored file's row groups and blocks end at its checkpoints.
        if LakeReaders.enabled {
            for lake in ["pq", "avro"] {
                for (file, rows) in try LakeReaders.dump(dir + "/out/" + lake) { out[lake + "/" + file] = rows }
            }
        }
        let db = try SQLiteDatabase(path: dir + "/out/iot.db", readOnly: true)
        for (table, order) in [("device_state", "DeviceId"), ("hot", "rowid")] {
            out[table] = try db.query("SELECT * FROM \(table) ORDER BY \(order)").map { "\($0)" }.joined(separator: "\n")
        }
        return out
    }

    @Test func killNineAtRandomPointsLosesAndDoublesNothing() throws {
        let events = Self.telemetry(200_000)
        let reference = try directory("reference", events: events), crashed = try directory("crashed", events: events)
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        let whole = try start(reference)
        whole.waitUntilExit()
        #expect(whole.terminationStatus == 0)
        var rng = SplitMix(seed: 42)
        var kills = 0, restarts = 0, resumed = 0
        while restarts < 200 {
            let log = crashed + "/run\(restarts).log"
            let p = try start(crashed, log: log)
            restarts += 1
            defer { if (try? String(contentsOfFile: log, encoding: .utf8))?.contains("resuming from the checkpoint") == true { resumed += 1 } }
            // Kill early and often until ten kills are in, then let a run finish.
            let delay = kills < 10 ? 0.15 + Double(rng.next() % 500) / 1000 : 600
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
        #expect(kills >= 10, "the job should have been killed at least ten times, was \(kills) times")
        #expect(resumed >= kills - 1, "runs after a kill resume from a checkpoint: \(resumed) of \(restarts) did")
        let expected = try outputs(reference), actual = try outputs(crashed)
        #expect(Set(actual.keys) == Set(expected.keys), "the same files, none left in progress")
        #expect(expected.keys.filter { $0.hasPrefix("lake/") }.count > 60)
        #expect(expected["lake/2024/01/01/00-10/telemetry-1.jsonl"] != nil, "a partition over max_file_size continues in part 1")
        #expect(!LakeReaders.enabled || expected["pq/2024/01/01/00-10/telemetry-1.parquet"] != nil, "a partition over min_rows continues in part 1")
        #expect(!LakeReaders.enabled || expected["avro/2024/01/01/00-10-1.avro"] != nil, "a partition over max_file_size continues in part 1")
        #expect(expected["aggregates.jsonl"]?.split(separator: "\n").count ?? 0 > 1000)
        #expect(expected["device_state"]?.split(separator: "\n").count == 1000)
        #expect(expected["hot"]?.split(separator: "\n").count ?? 0 > 1000)
        for (name, text) in expected {
            let got = actual[name] ?? ""
            #expect(got == text, "\(name): \(got.split(separator: "\n").count) rows after \(kills) kills, \(text.split(separator: "\n").count) uninterrupted")
        }
    }

    /// Kills that a timed kill at 100 ms checkpoints never hits: before the first checkpoint at the
    /// default 10 s interval, in the middle of a checkpoint (outputs durable, checkpoint not
    /// stored), and between finishing one lake file and opening the next. Each restart resumes and
    /// the outputs end as an uninterrupted run's, in every output kind.
    @Test(arguments: ["early", "checkpoint:3", "rotation:5", "rotation:40"])
    func crashesAtTheEdgesLoseAndDoubleNothing(_ crash: String) throws {
        let events = Self.telemetry(200_000)
        let reference = try directory("reference", events: events), crashed = try directory("crashed", events: events)
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: crashed)
        }
        if crash == "early" {
            // The default interval: the kill lands before any periodic checkpoint.
            let job = Self.job.replacingOccurrences(of: "SET checkpoint_interval = '100ms';\n", with: "")
            try job.write(toFile: crashed + "/job.saql", atomically: true, encoding: .utf8)
            try job.write(toFile: reference + "/job.saql", atomically: true, encoding: .utf8)
        }
        let whole = try start(reference)
        whole.waitUntilExit()
        #expect(whole.terminationStatus == 0)
        for round in 0..<2 {
            let p = try start(crashed, crashAt: crash == "early" ? nil : crash)
            if crash == "early" {
                Thread.sleep(forTimeInterval: 0.3 + 0.3 * Double(round))
                #expect(p.isRunning, "the run should still be going when it is killed")
                kill(p.processIdentifier, SIGKILL)
            }
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "round \(round): the run was killed")
        }
        let last = try start(crashed, log: crashed + "/last.log")
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(try String(contentsOfFile: crashed + "/last.log", encoding: .utf8).contains("resuming from the checkpoint"))
        let expected = try outputs(reference), actual = try outputs(crashed)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (name, text) in expected {
            #expect(actual[name] == text, "\(name) after a crash at \(crash)")
        }
    }

    /// A state directory that lost its checkpoint while a saql-created table holds rows: the run
    /// refuses (it would write them twice) and says how to go on; `--from-scratch` starts over.
    @Test func aLostCheckpointIsRefusedUntilFromScratch() throws {
        let dir = try directory("lost", events: Self.telemetry(5_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try start(dir)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let before = try outputs(dir)
        try FileManager.default.removeItem(atPath: dir + "/state")
        let refused = try start(dir, log: dir + "/refused.log")
        refused.waitUntilExit()
        #expect(refused.terminationStatus == 1)
        let message = try String(contentsOfFile: dir + "/refused.log", encoding: .utf8)
        #expect(message.contains("table 'hot'") && message.contains("no checkpoint accounts for") && message.contains("--from-scratch"))
        let again = try start(dir, arguments: ["--from-scratch"])
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        #expect(try outputs(dir) == before, "a run from scratch writes every row once")
    }

    /// Two processes on one state directory: the second stops at once with a clear error, and
    /// the first's outputs are untouched by it.
    @Test func aSecondProcessOnTheStateDirectoryIsRefused() throws {
        let events = Self.telemetry(200_000)
        let reference = try directory("single", events: events), dir = try directory("twice", events: events)
        defer {
            try? FileManager.default.removeItem(atPath: reference)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let whole = try start(reference)
        whole.waitUntilExit()
        let first = try start(dir)
        Thread.sleep(forTimeInterval: 0.3)
        let second = try start(dir, log: dir + "/second.log")
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        #expect(try String(contentsOfFile: dir + "/second.log", encoding: .utf8).contains("is in use by another saql process"))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try outputs(dir) == (try outputs(reference)))
    }

    /// A checkpoint of another plan is refused with a clear message, not misread.
    @Test func aChangedJobRefusesTheCheckpoint() throws {
        let dir = try directory("changed", events: Self.telemetry(2_000))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try start(dir)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        try Self.job.replacingOccurrences(of: "minute, 5", with: "minute, 6").write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.saql)
        p.arguments = ["run", dir + "/job.saql", "--state", dir + "/state"]
        let stderr = Pipe()
        p.standardError = stderr
        try p.run()
        p.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 1)
        #expect(log.contains("checkpoint was taken for another version of this job"), "\(log)")
    }
}

/// Operator state carries a version: a checkpoint written with another version is refused by name.
struct CheckpointVersionTests {
    @Test func anotherStateVersionIsRefused() throws {
        let dir = NSTemporaryDirectory() + "saql-version-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointTests.telemetry(1_000).write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT DeviceId, COUNT(*) AS n INTO Out FROM Telemetry TIMESTAMP BY EventTime GROUP BY DeviceId, TumblingWindow(minute, 1)
            """)
        let job = try #require(Compiler.compile(source, overrides: overrides, check: .complete).job)
        let first = try Pipeline(plan: job.physical, settings: job.settings, options: PipelineOptions(runStart: 0))
        var reads = 0
        try first.run(until: { reads += 1; return reads > 1 })
        var checkpoint = try first.checkpoint()
        let windowNode = try #require(job.physical.nodes.first { if case .windowAggregate = $0.kind { true } else { false } }).id
        checkpoint.operators[windowNode]?.version = 99
        var options = PipelineOptions(runStart: 0)
        options.restore = try Checkpoint(decoding: checkpoint.encoded())
        #expect {
            _ = try Pipeline(plan: job.physical, settings: job.settings, options: options)
        } throws: { "\($0)".contains("state version 99") && "\($0)".contains("(WindowAggregate)") }
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The plan fingerprint that guards checkpoints is a hash of the plan's semantics, not of EXPLAIN.
struct PlanFingerprintTests {
    static let query = """
        CREATE INPUT Telemetry WITH (connector = 'file', path = '/data/telemetry.jsonl');
        CREATE OUTPUT Out WITH (connector = 'file', path = '/data/out.jsonl');
        WITH Readings AS (SELECT DeviceId, Temperature FROM Telemetry TIMESTAMP BY EventTime WHERE Temperature > 0)
        SELECT DeviceId, AVG(Temperature) AS avgTemp, COUNT(*) AS n INTO Out
        FROM Readings GROUP BY DeviceId, TumblingWindow(minute, 5)
        """

    static func fingerprint(_ text: String) throws -> UInt64 {
        let job = try #require(Compiler.compile(SourceFile(name: "job.saql", text: text), check: .complete).job)
        return job.physical.fingerprint
    }

    /// Comments, layout, step names and source positions change EXPLAIN's text or the plan's ranges
    /// but not what the job computes: old checkpoints stay valid.
    @Test func cosmeticChangesKeepTheFingerprint() throws {
        let base = try Self.fingerprint(Self.query)
        let reworded = """
            -- the same job, written differently
            CREATE INPUT Telemetry WITH (connector = 'file', path = '/data/telemetry.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = '/data/out.jsonl');

            WITH HotReadings AS (
                SELECT DeviceId, Temperature
                FROM Telemetry TIMESTAMP BY EventTime
                WHERE Temperature > 0
            )
            SELECT DeviceId, AVG(Temperature) AS avgTemp, COUNT(*) AS n
            INTO Out
            FROM HotReadings
            GROUP BY DeviceId, TumblingWindow(minute, 5)
            """
        #expect(try Self.fingerprint(reworded) == base)
        let job = try #require(Compiler.compile(SourceFile(name: "job.saql", text: Self.query), check: .complete).job)
        #expect(!Explain.physical(job.physical).isEmpty)
    }

    /// The value is pinned: a change to the encoding of plans (which would invalidate every user's
    /// checkpoints) fails here and must be deliberate.
    @Test func fingerprintIsStableAcrossVersions() throws {
        let value = try Self.fingerprint(Self.query)
        #expect(value == Self.pinned, "the fingerprint is \(value)")
    }

    static let pinned: UInt64 = 17_803_238_827_837_520_712

    /// What the job computes changes the fingerprint: a window's size, a key, an aggregate, a filter.
    @Test(arguments: [
        ("TumblingWindow(minute, 5)", "TumblingWindow(minute, 6)"),
        ("COUNT(*) AS n", "COUNT(DISTINCT Temperature) AS n"),
        ("AVG(Temperature)", "MAX(Temperature)"),
        ("Temperature > 0", "Temperature > 1"),
        ("path = '/data/telemetry.jsonl'", "path = '/data/other.jsonl'"),
    ])
    func semanticChangesChangeTheFingerprint(_ change: (String, String)) throws {
        let changed = Self.query.replacingOccurrences(of: change.0, with: change.1)
        #expect(changed != Self.query)
        #expect(try Self.fingerprint(changed) != Self.fingerprint(Self.query))
    }
}

/// A damaged checkpoint store makes `saql run` exit 1 naming the file, what is wrong and how to
/// start over, instead of trapping or starting from zero.
struct CorruptCheckpointTests {
    @Test(arguments: ["garbage", "flipped"])
    func damagedCheckpointStopsTheRunWithAClearError(_ damage: String) throws {
        let dir = NSTemporaryDirectory() + "saql-corrupt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointTests.telemetry(2_000).write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        try """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT DeviceId, COUNT(*) AS n INTO Out FROM Telemetry TIMESTAMP BY EventTime GROUP BY DeviceId, TumblingWindow(minute, 1)
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        #expect(try runSAQL(["run", dir + "/job.saql", "--state", dir + "/state", "--quiet"]).status == 0)
        let db = dir + "/state/checkpoint.db"
        if damage == "garbage" {
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: db))
            try? FileManager.default.removeItem(atPath: db + "-wal")
        } else {
            let store = try SQLiteDatabase(path: db, readOnly: false)
            try store.execute("UPDATE checkpoint SET state = substr(state, 1, 40) || x'FF' || substr(state, 42)")
        }
        let (status, log) = try runSAQL(["run", dir + "/job.saql", "--state", dir + "/state"], includingErrors: true)
        #expect(status == 1, "\(log)")
        #expect(log.contains("\(db)"), "\(log)")
        #expect(log.contains(damage == "garbage" ? "not a readable checkpoint store" : "damaged"), "\(log)")
        #expect(log.contains("mv '\(dir)/state'"), "\(log)")
        #expect(!log.contains("Fatal error") && !log.contains("crashed"), "\(log)")
    }
}
