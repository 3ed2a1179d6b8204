import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Wall-clock behaviour driven by a manual clock: no test sleeps to see an interval pass.
struct ClockTests {
    /// `connector = 'ticking'`: `count` events, each batch one second of the run's (manual) clock later.
    struct TickingConnector: Connector {
        var name: String { "ticking" }
        func options(for kind: EndpointKind) -> [OptionSpec]? { kind == .input ? [OptionSpec("count", .integer, "events")] : nil }
        func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? { TickingInput(count: Int(options["count"]?.value ?? "") ?? 10) }
    }

    struct TickingInput: StreamSourceEndpoint {
        var count: Int
        var connector: String { "ticking" }
        var explainFields: String { "count=\(count)" }
        func makeSource(_ c: SourceContext) throws -> any EventSource { TickingSource(c, count: count) }
    }

    final class TickingSource: EventSource {
        let input: String
        private let width: Int
        private let clock: ManualClock?
        private var left: Int

        init(_ c: SourceContext, count: Int) {
            input = c.input
            width = c.layout.schema.columns.count
            clock = c.runtime.clock as? ManualClock
            left = count
        }

        func nextBatch(maxRows: Int) throws -> EventBatch? {
            guard left > 0 else { return nil }
            left -= 1
            clock?.advance(by: Timestamp.ticksPerSecond)
            var batch = EventBatch(width: width)
            batch.append([Value](repeating: .bigint(1), count: width), time: 0)
            batch.arrivals.append(clock?.now ?? 0)
            return batch
        }

        var position: [UInt8] { [] }
        func restore(position: [UInt8]) throws {}
    }

    @Test func checkpointsFollowTheRunsClock() throws {
        var catalog = Catalog.standard
        catalog.connectors.register(TickingConnector())
        let dir = NSTemporaryDirectory() + "saql-clock-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var overrides = BindingOverrides()
        overrides.outputDirectory = dir
        let source = SourceFile(name: "job.saql", text: """
            SET checkpoint_interval = '5s';
            CREATE INPUT Ticks WITH (connector = 'ticking', count = '20');
            SELECT COUNT(*) AS n INTO Out FROM Ticks GROUP BY TumblingWindow(second, 3)
            """)
        let job = try #require(Compiler.compile(source, overrides: overrides, check: .complete, catalog: catalog).job)
        var options = PipelineOptions(runStart: 0)
        options.checkpoints = try CheckpointStore(directory: dir + "/state")
        options.checkpointInterval = job.settings.checkpointInterval.ticks
        let context = RuntimeContext()
        let clock = ManualClock()
        context.clock = clock
        let start = clock.now
        try Pipeline(plan: job.physical, settings: job.settings, options: options, context: context).runFileInputs()
        #expect(clock.now - start == 20 * Timestamp.ticksPerSecond)
        // The first run's one before any event, one every 5 s of the 20 s the run took, and the
        // final one of a completed run.
        #expect(context.counters.checkpoints == 6)
    }
}
