import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Bad input never stops a job and never disappears: 10,000 malformed or ill-typed events among
/// 100,000 good ones are each counted and dead-lettered with their line, and every good one is
/// processed.
struct BadInputTests {
    /// The kinds of bad event, one per line, cycling.
    static let bad: [String] = [
        #"{"DeviceId":"d1","Temperature":21.5,"EventTime":"2024-01-01T00:00:00Z""#,   // truncated
        #"["not","an","object"]"#,
        #"42"#,
        #"{"DeviceId":"d1","Temperature":"hot","EventTime":"2024-01-01T00:00:00Z"}"#,  // not a float
        #"{"DeviceId":"d1","Temperature":1e999,"EventTime":"2024-01-01T00:00:00Z"}"#,  // not finite
        #"{"DeviceId":"d1","Temperature":20,"EventTime":"yesterday"}"#,                // not a datetime
        #"{"DeviceId":"d1","Temperature":20,"Count":99999999999999999999999,"EventTime":"2024-01-01T00:00:00Z"}"#,
        #"{"DeviceId":"d1" "Temperature":20}"#,
        "{\"DeviceId\":\"d1\",\"Temperature\":20,\"Note\":\"\u{1}\"}",                   // control character in a string
    ]

    @Test func malformedEventsAreCountedAndDeadLettered() throws {
        let dir = NSTemporaryDirectory() + "saql-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        var badLines: Set<Int> = []
        var good = 0
        let start = Timestamp(year: 2024, month: 1, day: 1).ticks
        for i in 0..<110_000 {
            if i % 11 == 5 {
                let n = badLines.count
                // A few oversized events (over 1 MB) among them.
                lines.append(n % 2_000 == 1 ? #"{"DeviceId":"big","Blob":""# + String(repeating: "x", count: 1_100_000) + #""}"#
                             : Self.bad[n % Self.bad.count])
                badLines.insert(lines.count)
            } else {
                let t = Timestamp(ticks: start + Int64(good) * Timestamp.ticksPerSecond / 100).iso8601
                lines.append(#"{"DeviceId":"d\#(good % 100)","Temperature":\#(Double(good % 500) / 10),"EventTime":"\#(t)"}"#)
                good += 1
            }
        }
        #expect(badLines.count == 10_000 && good == 100_000)
        try lines.joined(separator: "\n").write(toFile: dir + "/telemetry.jsonl", atomically: true, encoding: .utf8)
        let job = """
            CREATE TABLE Telemetry (DeviceId nvarchar(max), Temperature float, Count bigint, EventTime datetime);
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'telemetry.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            CREATE OUTPUT Dead WITH (connector = 'file', path = 'dead.jsonl', role = 'dead_letter');
            SELECT DeviceId, Temperature INTO Out FROM Telemetry TIMESTAMP BY EventTime
            """
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        var options = PipelineOptions(runStart: start)
        options.deadLetter = compiled.deadLetter
        let pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: options)
        try pipeline.runFileInputs()
        let c = pipeline.context.counters
        #expect(c.malformedEvents == 10_000)
        #expect(c.outputRows["Out"] == 100_000)
        #expect(c.inputEvents["Telemetry"] == 110_000)
        let out = try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(out.count == 100_000)
        let dead = try String(contentsOfFile: dir + "/dead.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(dead.count == 10_000)
        var positions: Set<Int> = []
        for line in dead {
            let d = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            #expect(d["reason"] as? String == "malformed")
            let position = d["position"] as? String ?? ""
            if let n = position.split(separator: ":").last.flatMap({ Int($0) }) { positions.insert(n) }
        }
        #expect(positions == badLines, "every bad event is dead-lettered at its own line")
    }
}

/// Input is never altered silently (RFC 8259 and 4180): what cannot be read as written is a
/// counted, dead-lettered malformed event; what is valid arrives exactly.
struct InputFidelityTests {
    func run(_ bytes: [UInt8], format: String) throws -> (out: [String], dead: [String], malformed: Int) {
        let dir = NSTemporaryDirectory() + "saql-fidelity-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in.txt"))
        try """
            CREATE INPUT In WITH (connector = 'file', path = 'in.txt', format = '\(format)');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            CREATE OUTPUT Dead WITH (connector = 'file', path = 'dead.jsonl', role = 'dead_letter');
            SELECT * INTO Out FROM In
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let r = try runSAQL(["run", dir + "/job.saql"], includingErrors: true)
        #expect(r.status == 0)
        let malformed = r.stdout.components(separatedBy: "malformed=").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? -1
        func lines(_ name: String) -> [String] {
            ((try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        return (lines("out.jsonl"), lines("dead.jsonl"), malformed)
    }

    @Test func jsonEventsArriveExactlyOrAreRefused() throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"n":1}"#.utf8) + [0x0A]          // BOM: ignored, not an event
        bytes += Array(#"{"n":2,"s":"bad"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8) + [0x0A]  // invalid UTF-8
        bytes += Array(#"{"n":3,"s":"x"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8) + [0x0A]  // overlong '/' (0xC0 never starts UTF-8)
        bytes += Array(#"{"n":4,"a"#.utf8) + [0x01] + Array(#"b":1}"#.utf8) + [0x0A]         // raw control character in a key
        bytes += Array(#"{"n":5,"f":1e999}"#.utf8) + [0x0A]                                   // beyond the float range
        bytes += Array(#"{"n":6,"s":"\ud800"}"#.utf8) + [0x0A]                                // lone surrogate
        bytes += Array(#"{"n":7,"s":"é\u00e9😀\ud83d\ude00"}"#.utf8) + [0x0A]                 // valid, escaped and not
        bytes += Array(#"{"n":8,"s":"\ud83d\ud83d\ude00"}"#.utf8) + [0x0A]                     // high surrogate, then another (trapped, found by fuzzing)
        bytes += Array(#"{"n":9,"s":"\ud83d\u0041"}"#.utf8) + [0x0A]                           // high surrogate, then no low one
        let r = try run(bytes, format: "json")
        #expect(r.out == [#"{"n":1}"#, #"{"n":7,"s":"éé😀😀"}"#])
        #expect(r.malformed == 7)
        let details = r.dead.map { line in (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["detail"] as? String ?? "" }
        #expect(details == ["invalid UTF-8 byte 0xFF", "invalid UTF-8 byte 0xC0", "control character U+01 in the text (write it escaped)",
                            "number 1e999 is beyond the float range", #"\u escape of a lone surrogate"#, #"\u escape of a lone surrogate"#,
                            #"\u escape of a lone surrogate"#])
    }

    @Test func csvRecordsSpanQuotedNewlines() throws {
        let text = "\u{FEFF}a,b\r\n1,\"x\ny\"\r\n2,\"say \"\"hi\"\"\"\n3,\"open\n"
        let r = try run(Array(text.utf8), format: "csv")
        #expect(r.out == [#"{"a":1,"b":"x\ny"}"#, #"{"a":2,"b":"say \"hi\""}"#])
        #expect(r.malformed == 1, "the last record's quote never closes")
        #expect(r.dead.first?.contains("in.txt:5") == true, "positions name the line where the record starts")
    }
}

/// `SET max_state`: a GROUP BY with more keys than memory allows stops the job with an error that
/// names the operator, instead of the kernel killing it silently, after a warning at 80%.
struct MemoryLimitTests {
    @Test func maxStateStopsTheJobNamingTheOperator() throws {
        let dir = NSTemporaryDirectory() + "saql-memory-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = (0..<300_000).map { #"{"k":"device-\#($0)","v":\#($0),"t":"2024-01-01T00:00:00Z"}"# }
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        try """
            SET max_state = '60MB';
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
            SELECT k, COUNT(*) AS n INTO Out FROM In TIMESTAMP BY t GROUP BY k, TumblingWindow(minute, 5)
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let r = try runSAQL(["run", dir + "/job.saql"], includingErrors: true)
        #expect(r.status == 1)
        #expect(r.stdout.contains("past max_state 60.0 MB") && r.stdout.contains("(WindowAggregate) holds"), "\(r.stdout.suffix(500))")
        // The pressure is reported before the stop, naming the same operator.
        let warning = r.stdout.range(of: "warning: the job's memory is "), stop = r.stdout.range(of: "past max_state 60.0 MB")
        #expect(warning != nil && stop != nil && warning!.lowerBound < stop!.lowerBound, "\(r.stdout.suffix(800))")
        #expect(r.stdout.contains("% of max_state 60.0 MB; plan node #"), "\(r.stdout.suffix(800))")
    }
}

/// File outputs under ASA's output error policy: a full disk (`/dev/full`) drops and counts rows
/// under `drop`, and is retried under `retry` (the job waits instead of losing rows).
/// A `${...}` value never reaches a message: librdkafka quotes its configuration back, in the
/// client's creation error and in the warnings from its own threads.
struct SecretRedactionTests {
    @Test func expandedValuesAreRedactedInEveryMessage() throws {
        let dir = NSTemporaryDirectory() + "saql-secret-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, protocolOption) in [("creation", "properties.security.protocol = 'SASL_PLAINTEXT', "), ("warning", "")] {
            try """
                CREATE INPUT In WITH (connector = 'kafka', brokers = '127.0.0.1:1', topic = 't', stop = 'end', \(protocolOption)properties.sasl.mechanism = 'X${SAQL_TEST_PW}');
                CREATE OUTPUT Out WITH (connector = 'file', path = 'out.jsonl');
                SELECT * INTO Out FROM In
                """.write(toFile: dir + "/\(name).saql", atomically: true, encoding: .utf8)
        }
        let secret = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
        let created = try runSAQL(["run", dir + "/creation.saql"], includingErrors: true, environment: ["SAQL_TEST_PW": secret])
        #expect(created.status == 1)
        #expect(created.stdout.contains("Unsupported SASL mechanism: X***"))
        #expect(!created.stdout.contains(secret))
        // A client that starts warns about the mechanism from librdkafka's thread; the run is
        // stopped after that (no broker listens).
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ExampleJobTests.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/warning.saql"]
        p.environment = ProcessInfo.processInfo.environment.merging(["SAQL_TEST_PW": secret]) { $1 }
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 1.5)
        p.terminate()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("`X***`"), "\(text.prefix(400))")
        #expect(!text.contains(secret))
    }
}

struct FileOutputErrorTests {
    func pipeline(policy: String, dir: String) throws -> Pipeline {
        try (0..<5_000).map { #"{"Id":\#($0)}"# }.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        let source = SourceFile(name: "job.saql", text: """
            SET output_error_policy = '\(policy)';
            CREATE INPUT Events WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Full WITH (connector = 'file', path = '/dev/full');
            CREATE OUTPUT Fine WITH (connector = 'file', path = 'fine.jsonl');
            SELECT Id INTO Full FROM Events
            SELECT Id INTO Fine FROM Events
            """)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        return try Pipeline(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
    }

    @Test func dropCountsRowsADiskRefuses() throws {
        let dir = NSTemporaryDirectory() + "saql-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try pipeline(policy: "drop", dir: dir)
        try p.runFileInputs()
        #expect(p.context.counters.outputErrors == 5_000)
        #expect(try String(contentsOfFile: dir + "/fine.jsonl", encoding: .utf8).split(separator: "\n").count == 5_000)
    }

    /// A stop signal ends an output's retry wait at once: a SQLite output whose database another
    /// connection keeps locked is retried until SIGTERM, and the run then exits within a second,
    /// naming what it did not write, with status 1 (not 0: rows are missing).
    @Test func aSignalEndsTheRetryOfALockedDatabase() throws {
        let dir = NSTemporaryDirectory() + "saql-locked-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try (0..<100).map { #"{"n":\#($0)}"# }.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        try """
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Db WITH (connector = 'sqlite', path = 'out.db', table = 'rows');
            SELECT n INTO Db FROM In
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        let holder = try SQLiteDatabase(path: dir + "/out.db", readOnly: false)
        try holder.execute("PRAGMA journal_mode = WAL; CREATE TABLE other (x); BEGIN EXCLUSIVE; INSERT INTO other VALUES (1);")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ExampleJobTests.root + "/.build/debug/saql")
        p.arguments = ["run", dir + "/job.saql"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 2)
        #expect(p.isRunning, "the output is retried while the database is locked")
        let signalled = Date()
        p.terminate()
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 1.5)
        #expect(p.terminationStatus == 1)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("stopped while retrying") && log.contains("not written"), "\(log.suffix(600))")
        try holder.execute("ROLLBACK")
    }

    @Test func retryWaitsAndCountsRetries() throws {
        let dir = NSTemporaryDirectory() + "saql-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try pipeline(policy: "retry", dir: dir)
        // The disk never frees up: after three retries the run is asked to stop (as SIGTERM does),
        // and it says which rows it could not write instead of dropping them silently.
        p.context.isStopping = { p.context.counters.outputRetries >= 3 }
        #expect {
            try p.runFileInputs()
        } throws: { "\($0)".contains("stopped while retrying to write to /dev/full") }
        #expect(p.context.counters.outputRetries == 3)
        #expect(p.context.counters.outputErrors == 0)
    }
}
