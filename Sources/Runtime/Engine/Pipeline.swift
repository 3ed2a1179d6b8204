import Planner

/// A job's operators, wired as its physical plan says, and the driver for its inputs.
///
/// The pipeline knows connectors only through their endpoint protocols (``StreamSourceEndpoint``,
/// ``ReferenceSourceEndpoint``, ``SinkEndpoint``) and sources through ``EventSource`` and the
/// capabilities it may adopt; operators come from the ``OperatorFactory``.
///
/// Not thread-safe: one thread pushes input and receives output.
package final class Pipeline {
    package let context: RuntimeContext
    let options: PipelineOptions
    var inputs: [String: InputPort] = [:]
    var inputOrder: [String] = []
    var sinks: [SinkOperator] = []
    private let compatibility: CompatibilityLevel
    private let outputErrorPolicy: OutputErrorPolicy
    private let memory: MemoryGuard
    /// Connections and producers the outputs share.
    private let resources = SharedResources()
    var deadLetterWriter: DeadLetterWriter?
    /// Every operator with its plan node id, and every node's output (for checkpoints).
    var nodeOperators: [(id: Int, op: any Operator)] = []
    var nodeOutputs: [Int: Downstream] = [:]
    /// Identifies the plan in checkpoints; computed when first needed (runs without state never do).
    package private(set) lazy var fingerprint: UInt64 = plan.fingerprint
    private let plan: PhysicalPlan
    /// The open inputs of a run, with where the run loop has got to in time.
    var sources: [(source: any EventSource, port: InputPort, clock: Int64)] = []
    /// Reference inputs' tables, by name, with the layout their rows have.
    private var references: [String: (data: ReferenceData, layout: InputLayout)] = [:]
    /// True when no operator's state summarizes events already read (``Operator/summarizesEvents``):
    /// read positions can then be committed whenever no rows are held.
    private(set) var stateless = false

    /// One input of the job: where its rows go and how its events are decoded.
    final class InputPort {
        let binding: InputBinding
        let layout: InputLayout
        let downstream = Downstream()
        var timestampers: [TimestampOperator] = []
        var ended = false
        init(binding: InputBinding, layout: InputLayout) {
            self.binding = binding
            self.layout = layout
        }
    }

    package init(plan: PhysicalPlan, settings: JobSettings, options: PipelineOptions, context: RuntimeContext = RuntimeContext()) throws {
        self.context = context
        self.options = options
        compatibility = settings.compatibilityLevel
        outputErrorPolicy = settings.outputErrorPolicy
        memory = MemoryGuard(setting: settings.maxState)
        replaySpeed = settings.replaySpeed
        if let dl = options.deadLetter {
            let writer = try DeadLetterWriter(binding: dl, resumeAt: try fileResumeOffset(options.restore?.outputs[Self.deadLetterKey]))
            deadLetterWriter = writer
            context.deadLetter = { writer.write($0) }
        }
        self.plan = plan
        if let restore = options.restore, restore.fingerprint != fingerprint {
            throw StateError("the checkpoint was taken for another version of this job (its query, bindings or options changed); "
                + "remove the state directory to start from the beginning", kind: .incompatible)
        }
        var built: [any Operator] = []
        let factory = OperatorFactory(context: context, reference: { [unowned self] in try self.reference($0, $1) },
                                      writer: { [unowned self] in try self.makeWriter($0, columns: $1) })
        var sourceOf: [Int: InputPort] = [:]
        for node in plan.nodes {
            if case .source(let binding, let layout) = node.kind {
                let port = InputPort(binding: binding, layout: layout)
                inputs[binding.name] = port
                inputOrder.append(binding.name)
                nodeOutputs[node.id] = port.downstream
                sourceOf[node.id] = port
                continue
            }
            let port = node.inputs.first.flatMap { sourceOf[$0] }
            let op = try factory.make(node, source: port?.binding, layout: port?.layout)
            if let t = op as? TimestampOperator { port?.timestampers.append(t) }
            if let s = op as? SinkOperator { sinks.append(s) }
            built.append(op)
            nodeOperators.append((node.id, op))
            nodeOutputs[node.id] = op.downstream
            for (inputPort, producer) in node.inputs.enumerated() { nodeOutputs[producer]?.connect(op, port: inputPort) }
        }
        stateless = !built.contains { type(of: $0).summarizesEvents }
        if let restore = options.restore { try restoreOperators(restore) }
    }

    /// What a source of `port` is built with.
    private func sourceContext(_ port: InputPort) -> SourceContext {
        SourceContext(input: port.binding.name, layout: port.layout, compatibility: compatibility, runStart: options.runStart,
                      runtime: context)
    }

    /// The table of a reference input, loaded on first use.
    private func reference(_ binding: InputBinding, _ layout: InputLayout) throws -> ReferenceData {
        if let r = references[binding.name] ?? options.sharedReferences?.tables[binding.name] {
            references[binding.name] = r
            return r.data
        }
        guard let endpoint = binding.endpoint as? any ReferenceSourceEndpoint else {
            if binding.endpoint is UnboundEndpoint { throw ConnectorError("reference input '\(binding.name)' is not bound") }
            throw ConnectorError("reference input '\(binding.name)': the \(binding.endpoint.connector) connector reads streams, not reference data")
        }
        let loader = try endpoint.makeLoader(SourceContext(input: binding.name, layout: layout, compatibility: compatibility,
                                                           runStart: options.runStart, runtime: context))
        let data = try ReferenceData(name: binding.name, width: layout.schema.columns.count, refresh: binding.refresh,
                                     clock: context.clock, loader: loader)
        data.onError = { [weak context] in context?.onRowError?($0) }
        references[binding.name] = (data, layout)
        options.sharedReferences?.tables[binding.name] = (data, layout)
        return data
    }

    /// Replaces a reference input's table with `records` (for reference inputs bound to the embedded connector).
    package func replaceReference(_ name: String, records: [Record]) throws {
        guard let (data, layout) = references.first(where: { $0.key.caseInsensitiveEquals(name) })?.value else {
            throw ConnectorError("the job reads no reference input '\(name)'")
        }
        data.replace(try EventDecoder.decode(records, layout: layout, compatibility: compatibility))
    }

    /// The writer of an output, resuming at its position in the checkpoint being restored.
    private func makeWriter(_ binding: OutputBinding, columns: [String]) throws -> any RowWriter {
        let make = { [self] (resume: [UInt8]?) throws -> any RowWriter in
            guard let endpoint = binding.endpoint as? any SinkEndpoint else { throw ConnectorError("output '\(binding.name)' is not bound") }
            let start: OutputStart = options.checkpoints == nil ? .plain : .fresh(fromScratch: options.fromScratch)
            return try endpoint.makeWriter(SinkContext(output: binding.name, policy: outputErrorPolicy, resume: resume, start: start, runtime: context,
                                                       resources: resources, deliver: options.onRow, delivered: options.onOutputClosed,
                                                       columns: columns))
        }
        if let shared = options.sharedOutputs { return try shared.member(binding.name) { try make(nil) } }
        return try make(options.restore?.outputs[binding.name])
    }

    /// The transactions the outputs write in.
    private var transactions: [any OutputTransaction] { resources.all.compactMap { $0 as? any OutputTransaction } }

    /// Rows, groups and events the operators hold right now: a gauge for memory tests and metrics.
    package var heldRows: Int { nodeOperators.reduce(0) { $0 + $1.op.heldRows } }

    /// The input names, in plan order.
    package var inputNames: [String] { inputOrder }

    /// The layout of an input's rows (to build batches for ``push(_:to:)``).
    package func layout(of input: String) -> InputLayout? { inputs[input]?.layout }

    /// `SET replay`: file inputs follow their event times at this speed.
    private let replaySpeed: Double?
    /// The first paced time and when it was read, in wall-clock ticks.
    private var paceAnchor: (time: Int64, wall: Int64)?

    /// How long to wait before reading on at an input whose time is `time`, at `SET replay`'s
    /// pace: zero when it is due.
    private func paceWait(_ time: Int64) -> Int64 {
        guard let speed = replaySpeed, time != .min, time != .max else { return 0 }
        let now = context.clock.now
        guard let anchor = paceAnchor else {
            paceAnchor = (time, now)
            return 0
        }
        let due = anchor.wall.addingSaturating(Int64(Double(time - anchor.time) / speed))
        return max(0, due - now)
    }

    /// The latest arrival time pushed so far: the run's processing time when replaying files.
    package internal(set) var processingTime = Int64.min

    /// Pushes decoded rows (with arrival times) into an input.
    package func push(_ batch: EventBatch, to input: String) throws {
        guard let port = inputs[input] else { throw ConnectorError("the job has no input '\(input)'") }
        if let last = batch.arrivals.last { processingTime = max(processingTime, last) }
        try port.downstream.emit(batch)
        try context.throwIfFailed()
    }

    /// Tells an input that no event will arrive before `arrival`; idle inputs then let time advance.
    package func heartbeat(_ input: String, arrival: Int64) throws {
        guard let port = inputs[input] else { return }
        for t in port.timestampers { try t.heartbeat(arrival: arrival) }
        try context.throwIfFailed()
    }

    /// Tells a partitioned input which partitions are read to their end (after their records).
    func partitionsAtEnd(_ input: String, _ atEnd: Set<Int32>) throws {
        for t in inputs[input]?.timestampers ?? [] { try t.partitionsAtEnd(atEnd) }
    }

    /// Tells a partitioned input which partitions it owns (before their records).
    func assignPartitions(_ input: String, _ assigned: [Int32]) {
        for t in inputs[input]?.timestampers ?? [] { t.assignPartitions(assigned) }
    }

    /// Ends an input: its watermark moves to +infinity and buffered rows flush.
    package func endInput(_ input: String) throws {
        guard let port = inputs[input], !port.ended else { return }
        port.ended = true
        try port.downstream.finish()
        try context.throwIfFailed()
    }

    /// Closes the outputs without ending the inputs (the pipeline is given up; its state was saved).
    func detachOutputs() throws { for s in sinks { try s.close() } }

    /// Ends every input still open, which emits every open window and closes the outputs.
    package func finish() throws { try finish(committing: []) }

    /// Finishes; the outputs' last transaction also commits `sources`' positions.
    private func finish(committing sources: [any EventSource]) throws {
        for name in inputOrder { try endInput(name) }
        for s in sinks { try s.close() }
        try deadLetterWriter?.close()
        for t in transactions { try t.commit(positionsOf: sources) }
    }

    /// A decoder for events pushed into `input` as text.
    package func decoder(for input: String) -> EventDecoder? {
        guard let port = inputs[input] else { return nil }
        return EventDecoder(layout: port.layout, format: port.binding.endpoint.format, arrivalField: port.binding.endpoint.arrivalTimeField,
                            compatibility: compatibility)
    }

    /// Flushes every output; commits the sources' read positions when what was read is then fully
    /// written (asynchronously while running, so the commit's round trip does not hold events up).
    /// With transactional outputs the positions are committed in the outputs' transaction instead.
    private func flushAndCommit(_ committing: [any CommittingSource], final: Bool) throws {
        for s in sinks { try s.flush() }
        try deadLetterWriter?.flush()
        let complete = stateless && heldRows == 0
        if !transactions.isEmpty {
            for t in transactions { try t.commit(positionsOf: complete ? committing : []) }
        } else if complete {
            for k in committing { try k.commit(async: !final) }
        }
    }

    /// What the pipeline has done and where its inputs stand.
    package func status(lags: [(input: String, partition: Int32, lag: Int64)] = []) -> PipelineStatus {
        var watermarks: [(input: String, watermark: Int64)] = []
        var newest: [String: Int64] = [:]
        var partitions: [(input: String, partition: Int32, watermark: Int64, newest: Int64)] = []
        for name in inputOrder {
            guard let port = inputs[name], let w = port.timestampers.map(\.downstream.lastWatermark).min(), w != .none else { continue }
            watermarks.append((name, w.time))
            if let t = port.timestampers.compactMap(\.newestTime).max() { newest[name] = t }
            for p in port.timestampers.first?.partitionTimes ?? [] { partitions.append((name, p.partition, p.watermark, p.newest)) }
        }
        var status = PipelineStatus(counters: context.counters, watermarks: watermarks, lags: lags, heldRows: heldRows)
        status.newestTimes = newest
        status.partitionTimes = partitions
        status.operators = nodeOperators.map { id, op in
            let w = op.downstream.lastWatermark
            return .init(id: id, name: op.name, rowsOut: op.downstream.rowsOut, heldRows: op.heldRows, watermark: w == .none ? nil : w.time)
        }
        return status
    }

    /// Reads every file-bound input to its end, interleaving inputs in time, then finishes.
    package func runFileInputs() throws { try run(until: { false }) }

    /// Reads every input until each has ended (files at their end, Kafka inputs with `stop = 'end'`
    /// at the end of their partitions) or `stopRequested` returns true, then finishes.
    ///
    /// The next batch comes from the input that is furthest behind: by arrival time when the input
    /// gives one, else by event time (the input's watermark), since such files' events "arrive" at
    /// their event times. Inputs then advance together, so joins and unions hold little state. An
    /// idle live input moves time on by ASA's rule (estimated arrival minus the late tolerance).
    ///
    /// A stop request ends the run without emitting open windows (they were not complete); outputs
    /// are flushed. Read positions are committed once outputs are flushed after a completed run, and
    /// at a stop request when no operator holds rows (what was read is then fully written). A
    /// failed run flushes its outputs but commits nothing.
    package func run(until stopRequested: () -> Bool) throws {
        do { try runLoop(until: stopRequested) } catch {
            // What was written before the failure reaches plain outputs and the dead letter (a
            // rerun from the last checkpoint may repeat it: at least once); transactions roll back.
            for s in sinks { try? s.flush() }
            try? deadLetterWriter?.flush()
            for t in transactions { t.abort() }
            throw error
        }
    }

    private func runLoop(until stopRequested: () -> Bool) throws {
        sources = []
        var committing: [any CommittingSource] = []
        for name in inputOrder {
            guard let port = inputs[name], let endpoint = port.binding.endpoint as? any StreamSourceEndpoint else { continue }
            let source = try endpoint.makeSource(sourceContext(port))
            if let c = source as? any CommittingSource { committing.append(c) }
            sources.append((source, port, .min))
        }
        let all = sources.map(\.source)
        defer { for s in all { s.close() } }
        if let restore = options.restore { try restoreSources(restore) }
        // The first run checkpoints before its first event, so a crash before the first periodic
        // checkpoint restores to the empty state like any other (rows written are cut back).
        // Transactional outputs show nothing before their first commit and need none.
        else if options.checkpoints != nil, transactions.isEmpty { try storeCheckpoint([]) }
        let poison = try options.checkpoints.map { try PoisonGuard(directory: $0.directory) }
        context.crashGuard = poison
        context.readAhead = options.readAheadLanes > 0 && poison?.hasSuspect != true ? (options.batchSize, options.readAheadLanes) : nil
        defer { context.crashGuard = nil }
        let live = sources.contains { $0.source.isLive } || !transactions.isEmpty
        let clock = context.clock
        var nextTick = clock.now + Timestamp.ticksPerSecond
        var nextCheckpoint = clock.now.addingSaturating(options.checkpointInterval)
        var turns = 0
        while !sources.isEmpty {
            turns += 1
            // Once a second on live inputs: outputs are flushed (rows reach them within about a second),
            // positions committed where that is safe, progress reported.
            if live, clock.now >= nextTick {
                nextTick = clock.now + Timestamp.ticksPerSecond
                try flushAndCommit(committing, final: false)
                options.onProgress?(status(lags: lags))
            } else if !live, let onProgress = options.onProgress, turns % 64 == 0 || replaySpeed != nil, clock.now >= nextTick {
                nextTick = clock.now + options.progressInterval
                onProgress(status())
            }
            if options.checkpoints != nil, clock.now >= nextCheckpoint || context.checkpointWanted, poison?.isIsolating != true {
                context.checkpointWanted = false
                try storeCheckpoint(committing)
                nextCheckpoint = clock.now.addingSaturating(options.checkpointInterval)
            }
            if turns % 16 == 0 { try checkMemory() }
            if stopRequested() {
                if options.checkpoints != nil { try storeCheckpoint(committing) } else { try flushAndCommit(committing, final: true) }
                try detachOutputs()
                try deadLetterWriter?.close()
                return
            }
            let i = sources.indices.min { sources[$0].clock < sources[$1].clock } ?? 0
            let (source, port, _) = sources[i]
            var maxRows = options.batchSize
            if replaySpeed != nil, !source.isLive {
                // Small batches and short naps: progress, checkpoints and a stop stay prompt.
                let wait = paceWait(sources[i].clock)
                if wait > 0 {
                    clock.sleep(ticks: min(wait, Timestamp.ticksPerSecond / 20))
                    continue
                }
                maxRows = min(maxRows, 8)
            }
            if let poison, let named = source as? any NamedRecordSource {
                maxRows = poison.plan(named: named, batchSize: maxRows)
            } else if let poison {
                switch poison.plan(input: source.input, position: source.position, batchSize: maxRows) {
                case .rows(let n): maxRows = n
                case .skip(let signal):
                    if let skipping = source as? any RecordSkipping {
                        if let skipped = try skipping.skipRecord() {
                            PoisonGuard.report(raw: skipped.raw, position: skipped.position, input: source.input, signal: signal, context: context)
                        }
                        continue
                    }
                    maxRows = 1
                }
            }
            guard let batch = try source.nextBatch(maxRows: maxRows) else {
                poison?.disarm()
                try endInput(source.input)
                sources.remove(at: i)
                continue
            }
            // Partition ownership before the records, partition ends after them: together they decide
            // how far the input's time may go.
            let partitions = (source as? any PartitionedSource)?.partitionState
            if let partitions { assignPartitions(source.input, partitions.assigned) }
            if !batch.isEmpty { try push(batch, to: source.input) }
            if let partitions { try partitionsAtEnd(source.input, partitions.atEnd) }
            poison?.disarm()
            if batch.isEmpty {
                // An idle live input: give the other inputs a turn.
                sources[i].clock = sources.map(\.clock).max() ?? sources[i].clock
                continue
            }
            if port.binding.endpoint.arrivesAtEventTime, let progress = port.timestampers.map(\.downstream.lastWatermark).min() {
                sources[i].clock = progress.time
            } else {
                sources[i].clock = batch.arrivals.last ?? sources[i].clock
            }
        }
        try finish(committing: all)
        if options.checkpoints != nil { try storeCheckpoint([]) }
        if transactions.isEmpty { for c in committing { try c.commit(async: false) } }
    }

    /// Stops the run when its memory passes `max_state`, naming the operator that holds most.
    private func checkMemory() throws {
        guard let limit = memory.limit, let used = MemoryGuard.residentBytes() else { return }
        // Warn once past 80% (again after it fell below 70%), so the pressure is seen before the stop.
        if used > limit / 10 * 8, !memoryWarned {
            memoryWarned = true
            context.onNotice?("warning: the job's memory is \(MemoryGuard.text(used)), \(used * 100 / max(limit, 1))% of max_state "
                              + "\(MemoryGuard.text(limit)); \(largestHolder)")
        } else if used < limit / 10 * 7 {
            memoryWarned = false
        }
        guard used > limit else { return }
        let culprit = largestHolder
        throw JobFailure(message: "the job's memory reached \(MemoryGuard.text(used)), past max_state \(MemoryGuard.text(limit))"
            + (memory.explicit ? "" : " (the default: 90% of the memory available)") + "; \(culprit). "
            + "Raise max_state, shorten the window or LIMIT DURATION, or reduce the GROUP BY keys")
    }

    /// Set once memory passed 80% of `max_state` (cleared below 70%).
    private var memoryWarned = false

    /// The operator holding the most rows, for memory messages.
    private var largestHolder: String {
        let held = nodeOperators.map { ($0.id, $0.op.name, $0.op.heldRows) }.max { $0.2 < $1.2 }
        return held.map { "plan node #\($0.0) (\($0.1)) holds \($0.2) rows, the most" } ?? "no operator holds rows"
    }

    /// Consumer lag of the partitioned sources being read.
    private var lags: [(input: String, partition: Int32, lag: Int64)] {
        sources.flatMap { s in ((s.source as? any PartitionedSource)?.lags ?? []).map { (s.source.input, $0.partition, $0.lag) } }
    }

    /// Takes a checkpoint and stores it; then commits the sources' positions, since the checkpoint
    /// holds the state built from what was read.
    private func storeCheckpoint(_ committing: [any CommittingSource]) throws {
        guard let store = options.checkpoints else { return }
        let started = context.clock.now
        let c = try checkpoint()
        let bytes = c.encoded()
        CrashPoint.checkpointWrite.pass()
        // Outputs that commit with the checkpoint do so before it is stored: a crash in between
        // leaves them one checkpoint ahead, and the next start resumes from theirs.
        for r in resources.all { try (r as? any CheckpointCommitter)?.commit(checkpoint: bytes) }
        CrashPoint.outputCommit.pass()
        try store.save(bytes, at: started)
        context.counters.checkpoints += 1
        context.counters.checkpointNanos += UInt64(max(0, context.clock.now - started)) * 100
        context.counters.checkpointBytes = max(context.counters.checkpointBytes, bytes.count)
        context.counters.lastCheckpoint = (started, max(0, context.clock.now - started), bytes.count)
        if !transactions.isEmpty {
            for t in transactions { try t.commit(positionsOf: committing) }
        } else {
            for c in committing { try c.commit(async: false) }
        }
    }
}
