import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// MATCH_RECOGNIZE over a long run: partial matches die with LIMIT DURATION, each event is kept
/// once per partition, and a `.*` run is one binding however long, so state stays flat.
struct MatchRecognizeTests {
    @Test func stateStaysFlatWithOpenEndedPatterns() throws {
        // Every event starts a partial match (A is any reading) that `.*` keeps alive until B,
        // which comes only every 500th event: up to 10 minutes of partial matches are alive.
        let source = SourceFile(name: "job.saql", text: """
            SELECT * INTO Out FROM Readings TIMESTAMP BY Time
            MATCH_RECOGNIZE (
                LIMIT DURATION(minute, 10)
                MEASURES First(A.Id) AS first, Last(B.Id) AS last, COUNT(*) AS events
                AFTER MATCH SKIP TO NEXT ROW
                PATTERN (A .* B)
                DEFINE A AS A.Id >= 0, B AS B.Id % 500 = 499
            ) AS M
            """)
        var overrides = BindingOverrides()
        overrides.embedded = true
        let job = try #require(Compiler.compile(source, overrides: overrides, check: .complete).job)
        var options = PipelineOptions(runStart: 0)
        var rows: [Record] = []
        options.onRow = { _, record, _ in rows.append(record) }
        let pipeline = try Pipeline(plan: job.physical, settings: job.settings, options: options)
        var decoder = try #require(pipeline.decoder(for: "Readings"))
        let t0 = Timestamp(year: 2024, month: 1, day: 1)
        var held: [Int] = []
        // One event a second for 4,000 seconds.
        for s in 0..<4_000 {
            var batch = EventBatch(width: decoder.width)
            var bytes = Array(#"{"Id":\#(s),"Time":"\#((t0 + TimeSpan(ticks: Int64(s) * Timestamp.ticksPerSecond)).iso8601)"}"#.utf8)
            try bytes.withUnsafeMutableBufferPointer {
                try decoder.decode(UnsafeBufferPointer($0), into: &batch, defaultArrival: t0.ticks + Int64(s) * Timestamp.ticksPerSecond)
            }
            try pipeline.push(batch, to: "Readings")
            held.append(pipeline.heldRows)
        }
        try pipeline.finish()
        // Events are held from the oldest live partial match on: never more than the duration's 600.
        #expect((held.max() ?? 0) <= 600)
        // Each B ends the match that started earliest within the duration; the other partial matches
        // ending there are dropped. A B is also an A: the match it starts is the next one reported.
        #expect(rows.count == 8)
        for (i, row) in rows.enumerated() {
            let last = 500 * i + 499
            #expect(row["last"] == .bigint(Int64(last)))
            #expect(row["first"] == .bigint(Int64(i == 0 ? 0 : 500 * i - 1)))
            #expect(row["events"] == .bigint(Int64(i == 0 ? 500 : 501)))
        }
    }
}
