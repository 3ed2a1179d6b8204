import Dispatch
import Planner

/// Options for building a ``Pipeline``.
public struct PipelineOptions {
    /// Rows per batch read from a source.
    public var batchSize = 1024
    /// The run's start time: the arrival time of events without one (as in ASA local runs).
    public var runStart: Int64
    /// Receives rows of outputs bound to the embedded connector.
    public var onRow: ((String, Record, Int64) -> Void)?
    /// Called when an embedded output has received all its rows.
    public var onOutputClosed: ((String) -> Void)?
    /// Where rejected events are written, one JSON object per event (see `DeadLetterWriter`).
    public var deadLetter: OutputBinding?
    /// Wall-clock time in ticks, for reference data refresh (replaceable in tests).
    public var wallClock: () -> Int64 = { Timestamp.now.ticks }
    /// Called about once a second while ``Pipeline/run(until:)`` runs, on its thread: for progress
    /// lines and metrics.
    public var onProgress: ((PipelineStatus) -> Void)?
    /// A checkpoint to continue from: operators, input positions and outputs resume where it was taken.
    public var restore: Checkpoint?
    /// Where ``Pipeline/run(until:)`` stores checkpoints, and how often (wall-clock ticks).
    public var checkpoints: CheckpointStore?
    public var checkpointInterval: Int64 = 10 * Timestamp.ticksPerSecond
    /// Outputs opened by a ``PartitionedRun`` for all its pipelines.
    var sharedOutputs: SharedOutputs?
    /// Reference tables a ``PartitionedRun``'s pipelines share (each is loaded once).
    var sharedReferences: SharedReferences?

    public init(runStart: Int64) { self.runStart = runStart }
}

/// Reference tables shared by several pipelines of one job (see ``PartitionedRun``).
final class SharedReferences {
    var tables: [String: (data: ReferenceData, layout: InputLayout)] = [:]
}

/// A job's operators, wired as its physical plan says, and the driver for its inputs.
///
/// Not thread-safe: one thread pushes input and receives output.
public final class Pipeline {
    public let context: RuntimeContext
    let options: PipelineOptions
    var inputs: [String: InputPort] = [:]
    var inputOrder: [String] = []
    var sinks: [SinkOperator] = []
    var operators: [Operator] = []
    private let compatibility: CompatibilityLevel
    private let outputErrorPolicy: OutputErrorPolicy
    /// The producer of the transactional Kafka outputs, if the job has any.
    var transaction: KafkaTransaction?
    /// SQLite output databases by path: outputs to one file share its connection.
    private var sqliteDatabases: [String: SQLiteSinkDatabase] = [:]
    var deadLetterWriter: DeadLetterWriter?
    /// Every operator with its plan node id, and every node's output (for checkpoints).
    var nodeOperators: [(id: Int, op: Operator)] = []
    var nodeOutputs: [Int: Downstream] = [:]
    /// Identifies the plan in checkpoints.
    public let fingerprint: UInt64
    /// The open inputs of a run, with where the run loop has got to in time.
    var sources: [(source: EventSource, port: InputPort, clock: Int64)] = []
    /// Reference inputs' tables, by name, with the layout their rows have.
    private var references: [String: (data: ReferenceData, layout: InputLayout)] = [:]

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

    public init(plan: PhysicalPlan, settings: JobSettings, options: PipelineOptions, context: RuntimeContext = RuntimeContext()) throws {
        self.context = context
        self.options = options
        compatibility = settings.compatibilityLevel
        outputErrorPolicy = settings.outputErrorPolicy
        if let dl = options.deadLetter {
            let writer = try DeadLetterWriter(binding: dl, resumeAt: try fileResumeOffset(options.restore?.outputs[Self.deadLetterKey]))
            deadLetterWriter = writer
            context.deadLetter = { writer.write($0) }
        }
        var outputs: [Int: Downstream] = [:]
        stateless = plan.nodes.allSatisfy { node in
            switch node.kind {
            case .windowAggregate, .analytic, .join, .matchRecognize: return false
            case .source, .assignTimestamp, .filter, .project, .apply, .referenceJoin, .union, .sink: return true
            }
        }
        var sourceOf: [Int: InputPort] = [:]
        fingerprint = Self.fingerprint(of: plan)
        if let restore = options.restore, restore.fingerprint != fingerprint {
            throw StateError("the checkpoint was taken for another version of this job (its query, bindings or options changed); "
                + "remove the state directory to start from the beginning")
        }
        for node in plan.nodes {
            let op: Operator?
            switch node.kind {
            case .source(let binding, let layout):
                let port = InputPort(binding: binding, layout: layout)
                inputs[binding.name] = port
                inputOrder.append(binding.name)
                outputs[node.id] = port.downstream
                sourceOf[node.id] = port
                continue
            case .assignTimestamp(let a):
                guard let port = sourceOf[node.inputs[0]] else { preconditionFailure("AssignTimestamp must read a source") }
                var fromEventTime = false
                if case .file(_, _, let arrival) = port.binding.connector { fromEventTime = arrival == nil }
                let t = TimestampOperator(input: port.binding.name, assignment: a, arrivalFromEventTime: fromEventTime,
                                          recordColumn: port.layout.wantsRecord ? 0 : nil, context: context)
                port.timestampers.append(t)
                outputs[node.id] = t.downstream
                op = t
            case .filter(let e):
                let f = FilterOperator(predicate: e, context: context)
                outputs[node.id] = f.downstream
                op = f
            case .apply(let a):
                let x = ApplyOperator(a, context: context)
                outputs[node.id] = x.downstream
                op = x
            case .join(let j):
                let x = StreamJoinOperator(j, leftWidth: node.inputSchemas[0].columns.count,
                                           rightWidth: node.inputSchemas[1].columns.count, context: context)
                outputs[node.id] = x.downstream
                op = x
            case .referenceJoin(let j, let binding, let layout):
                let x = ReferenceJoinOperator(j, data: try reference(binding, layout), leftWidth: node.inputSchemas[0].columns.count,
                                              context: context)
                outputs[node.id] = x.downstream
                op = x
            case .project(let items):
                let p = ProjectOperator(items: items, context: context)
                outputs[node.id] = p.downstream
                op = p
            case .windowAggregate(let w):
                switch w.window {
                case .sliding(let size):
                    let s = SlidingWindowOperator(w, size: size, context: context)
                    outputs[node.id] = s.downstream
                    op = s
                case .session(let timeout, let maxDuration, let partitionBy):
                    let s = SessionWindowOperator(w, timeout: timeout, maxDuration: maxDuration, partitionBy: partitionBy,
                                                  context: context)
                    outputs[node.id] = s.downstream
                    op = s
                case .tumbling, .hopping, .snapshot:
                    let a = WindowAggregateOperator(w, context: context)
                    outputs[node.id] = a.downstream
                    op = a
                }
            case .analytic(let calls):
                let a = AnalyticOperator(calls: calls, context: context)
                outputs[node.id] = a.downstream
                op = a
            case .matchRecognize(let m):
                let x = MatchRecognizeOperator(m, context: context)
                outputs[node.id] = x.downstream
                op = x
            case .union:
                let u = UnionOperator(ports: node.inputs.count)
                outputs[node.id] = u.downstream
                op = u
            case .sink(let binding):
                let writer = try options.sharedOutputs.map { try $0.member(binding.name) { try makeWriter(binding, resume: nil) } }
                    ?? makeWriter(binding, resume: options.restore?.outputs[binding.name])
                let s = SinkOperator(name: binding.name, schemas: node.inputSchemas, writer: writer, context: context)
                sinks.append(s)
                op = s
            }
            guard let op else { continue }
            operators.append(op)
            nodeOperators.append((node.id, op))
            for (port, producer) in node.inputs.enumerated() {
                outputs[producer]?.connect(op, port: port)
            }
        }
        nodeOutputs = outputs
        if let restore = options.restore { try restoreOperators(restore) }
    }

    /// The table of a reference input, loaded on first use.
    private func reference(_ binding: InputBinding, _ layout: InputLayout) throws -> ReferenceData {
        if let r = references[binding.name] ?? options.sharedReferences?.tables[binding.name] {
            references[binding.name] = r
            return r.data
        }
        let compatibility = compatibility, runStart = options.runStart, context = context
        let loader: (() throws -> EventBatch)?
        switch binding.connector {
        case .file(let path, let format, _):
            loader = {
                let source = try FileSource(input: binding.name, path: path, format: format, arrivalField: nil, layout: layout,
                                            compatibility: compatibility, runStart: runStart, context: context)
                var table = EventBatch(width: layout.schema.columns.count)
                while let b = try source.nextBatch(maxRows: 4096) {
                    table.values += b.values
                    table.times += b.times
                }
                return table
            }
        case .sqlite(let path, let query):
            loader = {
                let records = try SQLiteDatabase(path: path, readOnly: true).query(query)
                return try Self.decode(records, layout: layout, compatibility: compatibility)
            }
        case .embedded:
            loader = nil
        case .unbound:
            throw ConnectorError("reference input '\(binding.name)' is not bound")
        case .kafka:
            throw ConnectorError("reference input '\(binding.name)': the kafka connector reads streams, not reference data")
        }
        let data = try ReferenceData(name: binding.name, width: layout.schema.columns.count, refresh: binding.refresh,
                                     clock: options.wallClock, loader: loader)
        data.onError = { [weak context] in context?.onRowError?($0) }
        references[binding.name] = (data, layout)
        options.sharedReferences?.tables[binding.name] = (data, layout)
        return data
    }

    /// Replaces a reference input's table with `records` (for reference inputs bound to the embedded connector).
    public func replaceReference(_ name: String, records: [Record]) throws {
        guard let (data, layout) = references.first(where: { $0.key.caseInsensitiveEquals(name) })?.value else {
            throw ConnectorError("the job reads no reference input '\(name)'")
        }
        data.replace(try Self.decode(records, layout: layout, compatibility: compatibility))
    }

    /// Rows of `layout` from records (through the JSON decoder, so types convert as for events).
    static func decode(_ records: [Record], layout: InputLayout, compatibility: CompatibilityLevel) throws -> EventBatch {
        var decoder = EventDecoder(layout: layout, format: .json, arrivalField: nil, compatibility: compatibility)
        var table = EventBatch(width: layout.schema.columns.count)
        for record in records {
            var bytes: [UInt8] = []
            JSONWriter.append(.record(record), to: &bytes)
            try bytes.withUnsafeBufferPointer { try decoder.decode($0, into: &table, defaultArrival: 0) }
        }
        return table
    }

    /// The writer of an output; `resume` is its position in the checkpoint being restored.
    private func makeWriter(_ binding: OutputBinding, resume: [UInt8]?) throws -> RowWriter {
        let errors = WriteErrorHandling(policy: outputErrorPolicy, output: binding.name, context: context)
        switch binding.connector {
        case .file(let path, let format):
            let sink = try ByteSink(path: path, resumeAt: try fileResumeOffset(resume), errorHandling: errors)
            return format == .csv ? CSVWriter(sink: sink) : JSONLinesWriter(sink: sink)
        case .stdout(.json): return JSONLinesWriter(sink: ByteSink(standardOutput: ()))
        case .stdout(.csv): return CSVWriter(sink: ByteSink(standardOutput: ()))
        case .partitionedFile(let o): return try PartitionedFileWriter(options: o, resume: resume, errorHandling: errors)
        case .sqlite(let o):
            let database = try sqliteDatabases[o.path] ?? SQLiteSinkDatabase(path: o.path)
            sqliteDatabases[o.path] = database
            return try SQLiteWriter(output: binding.name, options: o, database: database, policy: outputErrorPolicy, resume: resume,
                                    context: context)
        case .kafka(let k):
            if k.transactionalId != nil && transaction == nil { transaction = try KafkaTransaction(options: k) }
            return try KafkaWriter(output: binding.name, options: k, policy: outputErrorPolicy,
                                   transaction: k.transactionalId == nil ? nil : transaction, context: context)
        case .unbound:
            throw ConnectorError("output '\(binding.name)' is not bound")
        case .embedded:
            let name = binding.name
            let onRow = options.onRow, onClose = options.onOutputClosed
            return CallbackWriter(onRow: { onRow?(name, $0, $1) }, onClose: { onClose?(name) })
        }
    }

    /// Rows the operators hold right now (join sides, reorder buffers): a gauge for memory tests and metrics.
    public var heldRows: Int { operators.reduce(0) { $0 + $1.heldRows } }

    /// The input names, in plan order.
    public var inputNames: [String] { inputOrder }

    /// The layout of an input's rows (to build batches for ``push(_:to:)``).
    public func layout(of input: String) -> InputLayout? { inputs[input]?.layout }

    /// The latest arrival time pushed so far: the run's processing time when replaying files.
    public internal(set) var processingTime = Int64.min

    /// Pushes decoded rows (with arrival times) into an input.
    public func push(_ batch: EventBatch, to input: String) throws {
        guard let port = inputs[input] else { throw ConnectorError("the job has no input '\(input)'") }
        if let last = batch.arrivals.last { processingTime = max(processingTime, last) }
        try port.downstream.emit(batch)
    }

    /// Tells an input that no event will arrive before `arrival`; idle inputs then let time advance.
    public func heartbeat(_ input: String, arrival: Int64) throws {
        guard let port = inputs[input] else { return }
        for t in port.timestampers { try t.heartbeat(arrival: arrival) }
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
    public func endInput(_ input: String) throws {
        guard let port = inputs[input], !port.ended else { return }
        port.ended = true
        try port.downstream.finish()
    }

    /// Closes the outputs without ending the inputs (the pipeline is given up; its state was saved).
    func detachOutputs() throws { for s in sinks { try s.close() } }

    /// Ends every input still open, which emits every open window and closes the outputs.
    public func finish() throws { try finish(committing: []) }

    /// Finishes; the transactional outputs' last transaction also commits `consumers`' positions.
    private func finish(committing consumers: [KafkaConsumer]) throws {
        for name in inputOrder { try endInput(name) }
        for s in sinks { try s.close() }
        try deadLetterWriter?.close()
        try transaction?.commit(offsetsOf: consumers)
    }

    /// A decoder for events pushed into `input` as text.
    public func decoder(for input: String) -> EventDecoder? {
        guard let port = inputs[input] else { return nil }
        var format = DataFormat.json
        var arrival: String?
        switch port.binding.connector {
        case .file(_, let f, let a): format = f; arrival = a
        case .embedded(let f): format = f
        case .kafka(let k): format = k.format
        case .sqlite, .unbound: break
        }
        return EventDecoder(layout: port.layout, format: format, arrivalField: arrival, compatibility: compatibility)
    }

    /// True when no operator keeps rows beyond the batch it is processing: then everything read has
    /// been written once the outputs are flushed. Windows, analytic functions, joins and reorder
    /// buffers keep rows (their state is not yet checkpointed, so their inputs' offsets wait).
    let stateless: Bool

    /// Flushes every output; commits Kafka offsets when what was read is then fully written
    /// (asynchronously while running, so the commit's round trip does not hold events up). With
    /// transactional outputs the offsets are committed in the outputs' transaction instead.
    private func flushAndCommit(_ kafka: [KafkaSource], final: Bool) throws {
        for s in sinks { try s.flush() }
        try deadLetterWriter?.flush()
        let complete = stateless && heldRows == 0
        if let transaction {
            try transaction.commit(offsetsOf: complete ? kafka.map(\.consumer) : [])
        } else if complete {
            for k in kafka { try k.commit(async: !final) }
        }
    }

    /// What the pipeline has done and where its inputs stand.
    public func status(kafkaLags: [(input: String, partition: Int32, lag: Int64)] = []) -> PipelineStatus {
        var watermarks: [(input: String, watermark: Int64)] = []
        for name in inputOrder {
            guard let port = inputs[name], let w = port.timestampers.map(\.downstream.lastWatermark).min(), w != .min else { continue }
            watermarks.append((name, w))
        }
        return PipelineStatus(counters: context.counters, watermarks: watermarks, lags: kafkaLags, heldRows: heldRows)
    }

    /// Reads every file-bound input to its end, interleaving inputs in time, then finishes.
    public func runFileInputs() throws { try run(until: { false }) }

    /// Reads every file and Kafka input until each has ended (files at their end, Kafka inputs with
    /// `stop = 'end'` at the end of their partitions) or `stopRequested` returns true, then finishes.
    ///
    /// The next batch comes from the input that is furthest behind: by arrival time when the input
    /// gives one, else by event time (the input's watermark), since such files' events "arrive" at
    /// their event times. Inputs then advance together, so joins and unions hold little state. An
    /// idle Kafka input moves time on by ASA's rule (estimated arrival minus the late tolerance).
    ///
    /// A stop request ends the run without emitting open windows (they were not complete); outputs
    /// are flushed. Kafka offsets are committed once outputs are flushed after a completed run, and
    /// at a stop request when no operator holds rows (what was read is then fully written).
    public func run(until stopRequested: () -> Bool) throws {
        do { try runLoop(until: stopRequested) } catch {
            transaction?.abort()
            throw error
        }
    }

    private func runLoop(until stopRequested: () -> Bool) throws {
        sources = []
        var kafka: [KafkaSource] = []
        defer { for k in kafka { k.close() } }
        for name in inputOrder {
            guard let port = inputs[name] else { continue }
            switch port.binding.connector {
            case .file(let path, let format, let arrival):
                let source = try FileSource(input: name, path: path, format: format, arrivalField: arrival, layout: port.layout,
                                            compatibility: compatibility, runStart: options.runStart, context: context)
                sources.append((source, port, .min))
            case .kafka(let k):
                if k.stateTopic != nil { throw ConnectorError("input '\(name)' has state_topic: run the job with makeJobRun (a PartitionedRun)") }
                let source = try KafkaSource(input: name, options: k, layout: port.layout, compatibility: compatibility, context: context)
                kafka.append(source)
                sources.append((source, port, .min))
            case .embedded, .sqlite, .unbound:
                continue
            }
        }
        if let restore = options.restore { try restoreSources(restore) }
        var nextTick = Timestamp.now.ticks + Timestamp.ticksPerSecond
        var nextCheckpoint = Timestamp.now.ticks.addingSaturating(options.checkpointInterval)
        var turns = 0
        while !sources.isEmpty {
            turns += 1
            // Once a second on live inputs: outputs are flushed (rows reach them within about a second),
            // offsets committed where that is safe, progress reported.
            if !kafka.isEmpty || transaction != nil, Timestamp.now.ticks >= nextTick {
                nextTick = Timestamp.now.ticks + Timestamp.ticksPerSecond
                try flushAndCommit(kafka, final: false)
                options.onProgress?(status(kafkaLags: kafka.flatMap { k in k.lags.map { (k.input, $0.partition, $0.lag) } }))
            } else if kafka.isEmpty, let onProgress = options.onProgress, turns % 64 == 0, Timestamp.now.ticks >= nextTick {
                nextTick = Timestamp.now.ticks + Timestamp.ticksPerSecond
                onProgress(status())
            }
            if options.checkpoints != nil, Timestamp.now.ticks >= nextCheckpoint {
                try storeCheckpoint(kafka)
                nextCheckpoint = Timestamp.now.ticks.addingSaturating(options.checkpointInterval)
            }
            if stopRequested() {
                if options.checkpoints != nil { try storeCheckpoint(kafka) } else { try flushAndCommit(kafka, final: true) }
                try detachOutputs()
                try deadLetterWriter?.close()
                return
            }
            let i = sources.indices.min { sources[$0].clock < sources[$1].clock } ?? 0
            let port = sources[i].port
            guard let batch = try sources[i].source.nextBatch(maxRows: options.batchSize) else {
                try endInput(sources[i].source.input)
                sources.remove(at: i)
                continue
            }
            // Partition ownership before the records, partition ends after them: together they decide
            // how far the input's time may go.
            let input = sources[i].source.input
            let kafkaState = (sources[i].source as? KafkaSource)?.partitionState
            if let kafkaState { assignPartitions(input, kafkaState.assigned) }
            if !batch.isEmpty { try push(batch, to: input) }
            if let kafkaState { try partitionsAtEnd(input, kafkaState.atEnd) }
            if batch.isEmpty {
                // An idle live input: give the other inputs a turn.
                sources[i].clock = sources.map(\.clock).max() ?? sources[i].clock
                continue
            }
            let byEventTime: Bool
            switch port.binding.connector {
            case .file(_, _, nil): byEventTime = true
            default: byEventTime = false
            }
            if byEventTime, let progress = port.timestampers.map(\.downstream.lastWatermark).min() {
                sources[i].clock = progress
            } else {
                sources[i].clock = batch.arrivals.last ?? sources[i].clock
            }
        }
        try finish(committing: kafka.map(\.consumer))
        if options.checkpoints != nil { try storeCheckpoint([]) }
        if transaction == nil { for k in kafka { try k.commit() } }
    }

    /// Takes a checkpoint and stores it; then commits Kafka offsets, since the checkpoint holds the
    /// state built from what was read.
    private func storeCheckpoint(_ kafka: [KafkaSource]) throws {
        guard let store = options.checkpoints else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        let c = try checkpoint()
        let bytes = c.encoded()
        try store.save(bytes)
        context.counters.checkpoints += 1
        context.counters.checkpointNanos += DispatchTime.now().uptimeNanoseconds - started
        context.counters.checkpointBytes = max(context.counters.checkpointBytes, bytes.count)
        if let transaction { try transaction.commit(offsetsOf: kafka.map(\.consumer)) } else { for k in kafka { try k.commit() } }
    }
}
