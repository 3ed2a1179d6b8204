import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Stream-join state over a long run: rows are held only while the other side may still match
/// them, so the number held stays flat however long the streams run.
struct StreamJoinTests {
    @Test func stateStaysFlatOverALongRun() throws {
        let source = SourceFile(name: "job.saql", text: """
            SELECT r.Id, a.Status INTO Out
            FROM Readings r TIMESTAMP BY Time
            LEFT JOIN Acks a TIMESTAMP BY Time ON r.Id = a.Id AND DATEDIFF(second, r, a) BETWEEN 0 AND 10
            """)
        var overrides = BindingOverrides()
        overrides.embedded = true
        let job = try #require(Compiler.compile(source, overrides: overrides, check: .complete).job)
        var options = PipelineOptions(runStart: 0)
        var matched = 0, unmatched = 0
        options.onRow = { _, record, _ in if record["Status"] == .null { unmatched += 1 } else { matched += 1 } }
        let pipeline = try Pipeline(plan: job.physical, settings: job.settings, options: options)
        let readings = try #require(pipeline.decoder(for: "Readings")), acks = try #require(pipeline.decoder(for: "Acks"))

        let t0 = Timestamp(year: 2024, month: 1, day: 1)
        /// Events arrive at their event time (`ms` after t0).
        func batch(_ decoder: EventDecoder, _ events: [(ms: Int, json: String)]) throws -> EventBatch {
            var d = decoder
            var out = EventBatch(width: d.width)
            for e in events {
                var bytes = Array(e.json.utf8)
                try bytes.withUnsafeMutableBufferPointer {
                    try d.decode(UnsafeBufferPointer($0), into: &out, defaultArrival: t0.ticks + Int64(e.ms) * 10_000)
                }
            }
            return out
        }
        func iso(_ ms: Int) -> String { (t0 + TimeSpan(ticks: Int64(ms) * 10_000)).iso8601 }
        // 100 events per second on each side for 2,000 seconds; every 7th reading gets no ack, the
        // others get one 3 s later.
        var held: [Int] = []
        let perSecond = 100, seconds = 2_000
        for s in 0..<seconds {
            let ids = (s * perSecond)..<((s + 1) * perSecond)
            try pipeline.push(batch(readings, ids.map { ($0 * 10, #"{"Id":\#($0),"Time":"\#(iso($0 * 10))"}"#) }), to: "Readings")
            let acked = ids.map { $0 - 3 * perSecond }.filter { $0 >= 0 && $0 % 7 != 0 }
            try pipeline.push(batch(acks, acked.map { ($0 * 10 + 3_000, #"{"Id":\#($0),"Status":"ok","Time":"\#(iso($0 * 10 + 3_000))"}"#) }),
                              to: "Acks")
            held.append(pipeline.heldRows)
        }
        try pipeline.finish()
        // About 11 s of readings and a few seconds of acks: the same early and late in the run.
        let early = held[100..<200].max() ?? 0, late = held[(seconds - 100)...].max() ?? 0
        #expect(early < 4_000)
        #expect(late <= early + 100)
        let total = perSecond * seconds
        // Unmatched: every 7th reading, and the last 3 s of readings, whose acks never came.
        let lastUnacked = ((total - 3 * perSecond)..<total).filter { $0 % 7 != 0 }.count
        #expect(unmatched == (total + 6) / 7 + lastUnacked)
        #expect(matched == total - unmatched)
    }
}
