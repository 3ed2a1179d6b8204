import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Synchronization
import Testing

/// The embedding API: an actor, bounded output sequences that end with the job's failure, typed
/// errors, native record pushes, and Swift functions.
struct EngineTests {
    static let t0 = Timestamp(year: 2024, month: 1, day: 1)

    /// The engine runs in-process: events pushed as JSON and as records, time advanced by hand,
    /// rows read as an AsyncSequence.
    @Test func embedsTheEngine() async throws {
        let engine = try Engine(job: """
            SELECT DeviceId, COUNT(*) AS n, AVG(Temp) AS avg INTO Counts
            FROM Telemetry TIMESTAMP BY Time
            GROUP BY DeviceId, TumblingWindow(second, 10)

            SELECT DeviceId INTO Hot FROM Telemetry TIMESTAMP BY Time WHERE Temp > 30
            """)
        #expect(engine.inputNames == ["Telemetry"])
        #expect(Set(engine.outputNames) == ["Counts", "Hot"])
        let counts = try engine.rows(of: "Counts"), hot = try engine.rows(of: "hot")
        for (i, temp) in [20, 35, 25].enumerated() {
            try await engine.push(json: #"{"DeviceId":"d1","Temp":\#(temp),"Time":"2024-01-01T00:00:0\#(i + 1)Z"}"#, to: "telemetry",
                                  arrival: Self.t0 + .seconds(i + 1))
        }
        try await engine.push(Record(["DeviceId": .string("d2"), "Temp": .float(31), "Time": .string("2024-01-01T00:00:04Z")]),
                              to: "Telemetry", arrival: Self.t0 + .seconds(4))
        // Arrival time passes the window end plus the 5s late-arrival tolerance: the window closes
        // although no further event arrives.
        try await engine.advance(to: Self.t0 + .seconds(16))
        try await engine.finish()
        var rows: [Record] = []
        for try await row in counts { rows.append(row) }
        #expect(rows == [
            Record(["DeviceId": .string("d1"), "n": .bigint(3), "avg": .float(80.0 / 3)]),
            Record(["DeviceId": .string("d2"), "n": .bigint(1), "avg": .float(31)]),
        ])
        var hotDevices: [String] = []
        for try await row in hot { if case .string(let s)? = row["DeviceId"] { hotDevices.append(s) } }
        #expect(hotDevices == ["d1", "d2"])
        #expect(await engine.counters.inputEvents["Telemetry"] == 4)
        await #expect(throws: SAQLError.self) { try await engine.push(json: "{}", to: "Telemetry") }
    }

    @Test func windowsCloseWhenTimeAdvancesWithoutEvents() async throws {
        let engine = try Engine(job: "SELECT COUNT(*) AS n INTO Out FROM In TIMESTAMP BY t GROUP BY TumblingWindow(second, 10)")
        try await engine.push(json: #"{"t":"2024-01-01T00:00:05Z"}"#, to: "In", arrival: Self.t0 + .seconds(5))
        var rows = try engine.rows(of: "Out").makeAsyncIterator()
        try await engine.advance(to: Self.t0 + .seconds(16))  // watermark = 16s - 5s tolerance = 11s > window end 10s
        #expect(try await rows.next() == Record(["n": .bigint(1)]))
    }

    @Test func errorsAreTyped() async throws {
        do {
            _ = try Engine(job: "SELECT a FROM Input WHERE", name: "bad.saql")
            Issue.record("expected a compile failure")
        } catch {
            guard case .compile(let diagnostics) = error else { Issue.record("unexpected \(error)"); return }
            #expect(diagnostics.first?.code == "SAQL1015" && diagnostics.first?.line == 1 && diagnostics.first?.column == 26)
            #expect(error.description.hasPrefix("bad.saql:1:26: error[SAQL1015]"))
        }
        let engine = try Engine(job: "SELECT a INTO Out FROM In")
        #expect { _ = try engine.rows(of: "Outt") } throws: { e in
            guard case SAQLError.unknownOutput("Outt", let known) = e else { return false }
            return known == ["Out"]
        }
        _ = try engine.rows(of: "Out")
        #expect { _ = try engine.rows(of: "out") } throws: { e in if case SAQLError.outputTaken("Out") = e { true } else { false } }
        await #expect { try await engine.push(json: "{}", to: "Inn") } throws: { e in
            if case SAQLError.unknownInput("Inn", ["In"]) = e { true } else { false }
        }
    }

    /// An output the job writes to a file is not delivered: asking for it is an error naming what is.
    @Test func fileBoundOutputsAreNotDelivered() throws {
        let engine = try Engine(job: """
            CREATE OUTPUT Archive WITH (connector = 'file', path = '/dev/null');
            CREATE OUTPUT Live WITH (connector = 'embedded');
            SELECT a INTO Archive FROM In
            SELECT a INTO Live FROM In
            """)
        #expect(engine.outputNames == ["Live"])
        #expect { _ = try engine.rows(of: "Archive") } throws: { e in
            if case SAQLError.unknownOutput("Archive", ["Live"]) = e { true } else { false }
        }
    }

    @Test func malformedEventsAreCountedNotFatal() async throws {
        let engine = try Engine(job: "SELECT a INTO Out FROM In")
        let out = try engine.rows(of: "Out")
        await #expect { try await engine.push(json: "{not json", to: "In") } throws: { e in
            if case SAQLError.malformedEvent(input: "In", _) = e { true } else { false }
        }
        // In a batch, the good events go through and the first problem is thrown.
        await #expect(throws: SAQLError.self) {
            try await engine.push([Record(["a": .bigint(1)]), Record(["a": .float(.nan)]), Record(["a": .bigint(2)])], to: "In")
        }
        try await engine.push(json: #"{"a":3}"#, to: "In")
        try await engine.finish()
        var values: [Value] = []
        for try await row in out { values.append(row["a"] ?? .null) }
        #expect(values == [.bigint(1), .bigint(2), .bigint(3)])
        let counters = await engine.counters
        #expect(counters.malformedEvents == 2)
        #expect(counters.inputEvents["In"] == 5)
    }

    /// A record pushed natively reads as its JSON would: CREATE TABLE types convert, event times
    /// parse, and compatibility level 1.0 reads booleans as bigint.
    @Test func recordsReadAsTheirJSONWould() async throws {
        let job = """
            CREATE TABLE Readings (n bigint, f float, t datetime, flag bit);
            SELECT n, f, t, flag, GetType(n) AS tn, GetType(t) AS tt INTO Out FROM Readings TIMESTAMP BY t
            """
        let record = Record(["n": .string("42"), "f": .bigint(2), "t": .string("2024-01-01T00:00:01Z"), "flag": .bit(true)])
        let json = #"{"n":"42","f":2,"t":"2024-01-01T00:00:01Z","flag":true}"#
        func run(_ push: (Engine) async throws -> Void) async throws -> [Record] {
            let engine = try Engine(job: job)
            let out = try engine.rows(of: "Out")
            try await push(engine)
            try await engine.finish()
            var rows: [Record] = []
            for try await r in out { rows.append(r) }
            return rows
        }
        let at = EngineTests.t0 + .seconds(1)
        let native = try await run { try await $0.push(record, to: "Readings", arrival: at) }
        let text = try await run { try await $0.push(json: json, to: "Readings", arrival: at) }
        #expect(native.count == 1)
        #expect(native == text)
        #expect(native.first?["tn"] == .string("bigint") && native.first?["tt"] == .string("datetime"))
        #expect(native.first?["f"] == .float(2))
    }

    /// A reader that does not keep up holds the producer back: the output buffer never grows past
    /// its limit plus one push's rows.
    @Test func slowReadersHoldPushesBack() async throws {
        var options = Engine.Options()
        options.outputBuffer = 4
        let engine = try Engine(job: "SELECT a INTO Out FROM In", options: options)
        let out = try engine.rows(of: "Out")
        let pushed = Count()
        let producer = Task {
            for i in 0..<20 {
                try await engine.push(Record(["a": .bigint(Int64(i))]), to: "In")
                pushed.add()
            }
            try await engine.finish()
        }
        // Four rows fill the buffer; the push of the fourth waits for room. Waited for (a loaded
        // machine may take a while to get there), then given time to go past it, which it must not.
        let deadline = ContinuousClock.now + .seconds(20)
        while pushed.value < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(pushed.value == 3)
        var seen: [Int64] = []
        for try await row in out {
            if case .bigint(let i)? = row["a"] { seen.append(i) }
            #expect(pushed.value <= seen.count + 4)
        }
        try await producer.value
        #expect(seen == Array(0..<20))
    }

    /// A reader that stops reading (breaks out of its loop) no longer holds pushes back.
    @Test func anAbandonedOutputDoesNotBlock() async throws {
        var options = Engine.Options()
        options.outputBuffer = 2
        let engine = try Engine(job: "SELECT a INTO Out FROM In", options: options)
        let out = try engine.rows(of: "Out")
        let reader = Task {
            for try await _ in out { break }
        }
        for i in 0..<10 { try await engine.push(Record(["a": .bigint(Int64(i))]), to: "In") }
        try await reader.value
        try await engine.finish()
    }

    /// A failure that stops the job ends every output's sequence with it, and later calls throw it.
    @Test func aFailingJobEndsItsOutputsWithTheError() async throws {
        var options = Engine.Options()
        options.settings = ["udf_timeout": "100ms"]
        let engine = try Engine(job: """
            CREATE FUNCTION spin WITH (code = 'function spin(x) { while (x > 1) {} return x; }');
            SELECT udf.spin(a) AS a INTO Out FROM In
            """, options: options)
        let out = try engine.rows(of: "Out")
        try await engine.push(Record(["a": .bigint(1)]), to: "In")
        await #expect { try await engine.push(Record(["a": .bigint(2)]), to: "In") } throws: { e in
            if case SAQLError.jobFailed(let m) = e { m.contains("udf.spin ran longer than udf_timeout") } else { false }
        }
        await #expect(throws: SAQLError.self) { try await engine.push(Record(["a": .bigint(1)]), to: "In") }
        var rows: [Record] = []
        await #expect { for try await r in out { rows.append(r) } } throws: { e in
            if case SAQLError.jobFailed = e { true } else { false }
        }
        #expect(rows == [Record(["a": .bigint(1)])])
    }

    /// Pushes from many tasks at once are serialized by the actor: none is lost or torn.
    @Test func concurrentPushes() async throws {
        let engine = try Engine(job: "SELECT COUNT(*) AS n, SUM(a) AS s INTO Out FROM In GROUP BY TumblingWindow(day, 1)")
        let out = try engine.rows(of: "Out")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<250 { try await engine.push(Record(["a": .bigint(Int64(t * 1000 + i))]), to: "In") }
                }
            }
            try await group.waitForAll()
        }
        try await engine.finish()
        var rows: [Record] = []
        for try await r in out { rows.append(r) }
        let expected = (0..<8).reduce(Int64(0)) { acc, t in acc + (0..<250).reduce(Int64(0)) { $0 + Int64(t * 1000 + $1) } }
        #expect(rows == [Record(["n": .bigint(2000), "s": .bigint(expected)])])
    }
}

/// Swift functions registered by the embedding program: checked at compile time, called per row,
/// errors as row errors, aggregates in every window kind with their state saved and restored.
struct SwiftFunctionTests {
    static let celsius = SwiftFunction.scalar("toCelsius", arguments: [.float], returns: .float) { args in
        guard case .float(let f) = args[0] else { return .null }
        return .float((f - 32) * 5 / 9)
    }
    static let strict = SwiftFunction.scalar("strict", arguments: [.bigint], returns: .bigint) { args in
        guard case .bigint(let i) = args[0] else { return .null }
        struct Negative: Error, CustomStringConvertible { var description: String { "negative input" } }
        if i < 0 { throw Negative() }
        return .bigint(i * 2)
    }

    /// The spread (max - min) of a window's values; retractable by keeping them in order.
    struct Spread: RetractableSwiftAggregate {
        var values: [Double] = []
        init() {}
        mutating func add(_ value: Value) throws {
            switch value {
            case .bigint(let i): values.append(Double(i))
            case .float(let d): values.append(d)
            default: throw SpreadError()
            }
        }
        mutating func retractOldest(_ value: Value) { if !values.isEmpty { values.removeFirst() } }
        func result() -> Value { values.isEmpty ? .null : .float((values.max() ?? 0) - (values.min() ?? 0)) }
    }
    struct SpreadError: Error {}

    static let functions = [celsius, strict, SwiftFunction.aggregate("spread", Spread.self, numeric: true, returns: .float)]

    @Test func checkKnowsTheirSignatures() {
        let good = Engine.check(job: "SELECT udf.toCelsius(AVG(f)) AS c, uda.spread(f) AS s INTO Out FROM In GROUP BY TumblingWindow(second, 1)",
                                functions: Self.functions)
        #expect(good.isEmpty, "\(good)")
        let wrongArity = Engine.check(job: "SELECT udf.toCelsius(f, 2) AS c INTO Out FROM In", functions: Self.functions)
        #expect(wrongArity.first?.code == "SAQL2012", "\(wrongArity)")
        let wrongType = Engine.check(job: "SELECT udf.toCelsius(CreatedAt) AS c INTO Out FROM In TIMESTAMP BY CreatedAt WHERE udf.toCelsius('x') > 1",
                                     functions: Self.functions)
        #expect(wrongType.contains { $0.severity == .error }, "\(wrongType)")
        let typo = Engine.check(job: "SELECT udf.toCelsus(f) AS c INTO Out FROM In", functions: Self.functions)
        #expect(typo.first?.code == "SAQL2005" && typo.first?.rendered.contains("did you mean 'udf.toCelsius'") == true, "\(typo)")
        let reading = SwiftFunction.scalar("reading", arguments: [.any], returns: .anyRecord) { args in .record(Record(["v": args[0]])) }
        let result = Engine.check(job: "SELECT f INTO Out FROM In WHERE udf.reading(f) > 1", functions: [reading])
        #expect(result.first?.code == "SAQL2015", "comparing a record result with a number: \(result)")
        #expect(Engine.check(job: "SELECT 1 AS x INTO Out FROM In", functions: [Self.celsius, Self.celsius]).first?.message
            .contains("registered twice") == true)
    }

    @Test func scalarsRunAndFailPerRow() async throws {
        var options = Engine.Options()
        options.functions = Self.functions
        let engine = try Engine(job: "SELECT udf.toCelsius(f) AS c, udf.strict(n) AS d INTO Out FROM In", options: options)
        let out = try engine.rows(of: "Out")
        try await engine.push([Record(["f": .bigint(212), "n": .string("21")]), Record(["f": .float(32), "n": .bigint(-1)]),
                               Record(["f": .null, "n": .null])], to: "In")
        try await engine.finish()
        var rows: [Record] = []
        for try await r in out { rows.append(r) }
        // 212 converts to float and "21" to bigint; -1 throws (the row is skipped); NULLs reach the functions.
        #expect(rows == [Record(["c": .float(100), "d": .bigint(42)]), Record(["c": .null, "d": .null])])
        #expect(await engine.counters.evaluationErrors == 1)
    }

    /// The aggregate gives the same in tumbling, hopping and sliding windows as MAX - MIN, and its
    /// state survives a checkpoint taken with windows open.
    @Test func aggregatesInEveryWindowWithState() throws {
        let job = """
            SELECT uda.spread(v) AS s, MAX(v) - MIN(v) AS m INTO T FROM In TIMESTAMP BY t GROUP BY TumblingWindow(second, 10)
            SELECT uda.spread(v) AS s, MAX(v) - MIN(v) AS m INTO H FROM In TIMESTAMP BY t GROUP BY HoppingWindow(second, 10, 5)
            SELECT uda.spread(v) AS s, MAX(v) - MIN(v) AS m INTO S FROM In TIMESTAMP BY t GROUP BY SlidingWindow(second, 5)
            """
        let events = [(1, 4.0), (2, 9.0), (3, 1.0), (8, 7.0), (12, 3.0), (14, 8.0), (21, 2.0)]
        let catalog = try SwiftFunction.catalog(with: Self.functions)
        func pipeline(restoring checkpoint: Checkpoint?, rows: Rows) throws -> Pipeline {
            var o = BindingOverrides()
            o.embedded = true
            let job = try #require(Compiler.compile(SourceFile(name: "job.saql", text: job), overrides: o, check: .complete, catalog: catalog).job)
            var options = PipelineOptions(runStart: 0)
            options.restore = checkpoint
            options.onRow = { name, record, _ in rows.byOutput[name, default: []].append(record) }
            return try Pipeline(plan: job.physical, settings: job.settings, options: options)
        }
        func push(_ p: Pipeline, _ slice: ArraySlice<(Int, Double)>) throws {
            let decoder = try #require(p.decoder(for: "In"))
            var d = decoder
            var batch = EventBatch(width: d.width)
            for (s, v) in slice {
                try d.decode(Record(["t": .string((EngineTests.t0 + .seconds(s)).iso8601), "v": .float(v)]), into: &batch,
                             arrival: (EngineTests.t0 + .seconds(s)).ticks)
            }
            try p.push(batch, to: "In")
        }
        let whole = Rows()
        let one = try pipeline(restoring: nil, rows: whole)
        try push(one, events[...])
        try one.finish()
        let split = Rows()
        let first = try pipeline(restoring: nil, rows: split)
        try push(first, events[..<4])
        let saved = try Checkpoint(decoding: try first.checkpoint().encoded())
        let second = try pipeline(restoring: saved, rows: split)
        try push(second, events[4...])
        try second.finish()
        let rows = whole.byOutput
        for name in ["T", "H", "S"] {
            let r = rows[name] ?? []
            #expect(!r.isEmpty)
            #expect(r.allSatisfy { $0["s"] == $0["m"] }, "\(name): \(r)")
        }
        #expect(split.byOutput == rows)
    }
}

/// A count shared between tasks.
final class Count: Sendable {
    private let n = Mutex(0)
    func add() { n.withLock { $0 += 1 } }
    var value: Int { n.withLock { $0 } }
}

/// Rows collected from a pipeline's delivered outputs (one thread).
final class Rows {
    var byOutput: [String: [Record]] = [:]
}
