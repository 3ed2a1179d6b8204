import SAQL
import Testing

struct EngineTests {
    /// The engine runs in-process: events pushed as JSON, time advanced by hand, rows read as an AsyncSequence.
    @Test func embedsTheEngine() async throws {
        let engine = try Engine(job: """
            SELECT DeviceId, COUNT(*) AS n, AVG(Temp) AS avg INTO Counts
            FROM Telemetry TIMESTAMP BY Time
            GROUP BY DeviceId, TumblingWindow(second, 10)

            SELECT DeviceId INTO Hot FROM Telemetry TIMESTAMP BY Time WHERE Temp > 30
            """)
        #expect(engine.inputNames == ["Telemetry"])
        #expect(Set(engine.outputNames) == ["Counts", "Hot"])
        let start = Timestamp(parsing: "2024-01-01T00:00:00Z") ?? .min
        for (i, temp) in [20, 35, 25].enumerated() {
            try engine.push(json: #"{"DeviceId":"d1","Temp":\#(temp),"Time":"2024-01-01T00:00:0\#(i + 1)Z"}"#, to: "telemetry",
                            arrival: start + .seconds(Int64(i + 1)))
        }
        try engine.push(Record(["DeviceId": .string("d2"), "Temp": .float(31), "Time": .string("2024-01-01T00:00:04Z")]),
                        to: "Telemetry", arrival: start + .seconds(4))
        // Arrival time passes the window end plus the 5s late-arrival tolerance: the window closes
        // although no further event arrives.
        try engine.advance(to: start + .seconds(16))
        try engine.finish()
        var counts: [Record] = []
        for await row in engine.rows(of: "Counts") { counts.append(row) }
        #expect(counts == [
            Record(["DeviceId": .string("d1"), "n": .bigint(3), "avg": .float(80.0 / 3)]),
            Record(["DeviceId": .string("d2"), "n": .bigint(1), "avg": .float(31)]),
        ])
        var hot: [String] = []
        for await row in engine.rows(of: "Hot") { if case .string(let s)? = row["DeviceId"] { hot.append(s) } }
        #expect(hot == ["d1", "d2"])
        #expect(engine.counters.inputEvents["Telemetry"] == 4)
    }

    @Test func windowsCloseWhenTimeAdvancesWithoutEvents() async throws {
        let engine = try Engine(job: "SELECT COUNT(*) AS n INTO Out FROM In TIMESTAMP BY t GROUP BY TumblingWindow(second, 10)")
        let t0 = Timestamp(parsing: "2024-01-01T00:00:00Z") ?? .min
        try engine.push(json: #"{"t":"2024-01-01T00:00:05Z"}"#, to: "In", arrival: t0 + .seconds(5))
        var rows = engine.rows(of: "Out").makeAsyncIterator()
        try engine.advance(to: t0 + .seconds(16))  // watermark = 16s - 5s tolerance = 11s > window end 10s
        let first = await rows.next()
        #expect(first == Record(["n": .bigint(1)]))
    }

    @Test func compileErrorsCarryRenderedDiagnostics() {
        do {
            _ = try Engine(job: "SELECT a FROM Input WHERE", name: "bad.saql")
            Issue.record("expected a compile failure")
        } catch let failure as CompileFailure {
            #expect(failure.description.hasPrefix("bad.saql:1:26: error[SAQL1015]"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func malformedEventsAreCountedNotFatal() throws {
        let engine = try Engine(job: "SELECT a INTO Out FROM In")
        #expect(throws: DecodeError.self) { try engine.push(json: "{not json", to: "In") }
        try engine.push(json: #"{"a":1}"#, to: "In")
        #expect(engine.counters.malformedEvents == 1)
        #expect(engine.counters.inputEvents["In"] == 2)
    }
}
