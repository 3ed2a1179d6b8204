import Dispatch
import Planner

/// Runs a job whose only stream input is a Kafka topic read with `state_topic`: every partition
/// this process owns gets a ``Pipeline`` of its own, and all of them write to the same outputs and
/// read the same reference tables.
///
/// A partition's state (operators, watermarks, next offset) is saved to the state topic
/// periodically and whenever the partition is revoked, before another member of the consumer group
/// can be assigned it; the member that gets it next continues from that state. A rebalance
/// therefore neither splits a window between two processes nor loses or repeats rows. After a crash
/// the partitions continue from their last periodic save, so rows emitted since are emitted again
/// (at-least-once outputs).
///
/// Each partition has its own event time (ASA's `PARTITION BY PartitionId`): for a partition-local
/// query (see ``ScaleOut``) the rows are those of one pipeline over the whole topic.
package final class PartitionedRun {
    package let context: RuntimeContext
    private let plan: PhysicalPlan
    private let settings: JobSettings
    private var options: PipelineOptions
    private let input: String
    private let kafka: KafkaInputOptions
    private let stateTopic: String
    private let layout: InputLayout
    /// Identifies the query a partition's state belongs to (outputs may differ between the processes of a group).
    private let fingerprint: UInt64
    /// The whole plan's fingerprint, which the partitions' pipelines check.
    private let planFingerprint: UInt64
    private let outputs = SharedOutputs()
    private var deadLetter: DeadLetterWriter?
    private var tasks: [Int32: Task] = [:]
    /// The first error of a rebalance callback (which cannot throw), thrown after the poll.
    private var failure: Error?

    /// One partition's pipeline, and the offset after the last record it was given.
    final class Task {
        let pipeline: Pipeline
        var nextOffset: Int64
        var ended: Bool

        init(pipeline: Pipeline, nextOffset: Int64 = -1, ended: Bool = false) {
            self.pipeline = pipeline
            self.nextOffset = nextOffset
            self.ended = ended
        }
    }

    /// Fails unless `plan` has exactly one stream input, read from Kafka with `state_topic`
    /// (``Compiler`` checks this for jobs it compiles).
    package init(plan: PhysicalPlan, settings: JobSettings, options: PipelineOptions, context: RuntimeContext = RuntimeContext()) throws {
        let sources = plan.nodes.compactMap { node -> (InputBinding, InputLayout)? in
            if case .source(let b, let l) = node.kind { return (b, l) }
            return nil
        }
        guard sources.count == 1, let (binding, layout) = sources.first, let k = binding.endpoint as? KafkaInputOptions, let topic = k.stateTopic else {
            throw ConnectorError("a partitioned run needs one stream input, read from Kafka with state_topic")
        }
        self.plan = plan
        self.settings = settings
        self.context = context
        input = binding.name
        kafka = k
        stateTopic = topic
        self.layout = layout
        fingerprint = plan.fingerprint(includingOutputs: false)
        planFingerprint = plan.fingerprint
        self.options = options
        if let dl = options.deadLetter {
            let writer = try DeadLetterWriter(binding: dl, resumeAt: nil)
            deadLetter = writer
            context.deadLetter = { writer.write($0) }
        }
        self.options.deadLetter = nil
        self.options.restore = nil
        self.options.checkpoints = nil
        self.options.sharedOutputs = outputs
        self.options.sharedReferences = SharedReferences()
    }

    /// Reads the input until it ends (`stop = 'end'`: every owned partition read to its end) or
    /// `stopRequested` returns true. At the end every partition's windows are emitted; at a stop
    /// they are kept in its saved state. Either way outputs are flushed, states saved and offsets
    /// committed before it returns.
    package func run(until stopRequested: () -> Bool) throws {
        let source = try KafkaSource(input: input, options: kafka, layout: layout, compatibility: settings.compatibilityLevel,
                                     context: context)
        let store = try PartitionStateStore(input: kafka, stateTopic: stateTopic, clock: context.clock)
        defer {
            source.consumer.onAssign = nil
            source.consumer.onRevoke = nil
            source.close()
            store.close()
        }
        source.consumer.onAssign = { [unowned self] partitions in
            guard failure == nil else { return }
            do { try assign(partitions, source: source, store: store) } catch { failure = error }
        }
        source.consumer.onRevoke = { [unowned self] partitions in
            guard failure == nil else { return }
            do { try revoke(partitions, source: source, store: store) } catch { failure = error }
        }
        let clock = context.clock
        var nextTick = clock.now + Timestamp.ticksPerSecond
        var nextCheckpoint = clock.now.addingSaturating(options.checkpointInterval)
        while true {
            let now = clock.now
            if now >= nextTick {
                nextTick = now + Timestamp.ticksPerSecond
                try outputs.flush()
                try deadLetter?.flush()
                options.onProgress?(status(source))
            }
            if now >= nextCheckpoint {
                try save(Array(tasks.keys), source: source, store: store)
                nextCheckpoint = now.addingSaturating(options.checkpointInterval)
            }
            if stopRequested() {
                try save(Array(tasks.keys), source: source, store: store)
                try close()
                return
            }
            let rows = try source.nextBatches(maxRows: options.batchSize, timeoutMs: 100)
            if let failure { throw failure }
            guard let rows else { break }
            try dispatch(rows, atEnd: source.partitionState.atEnd)
        }
        for task in tasks.values where !task.ended {
            try task.pipeline.finish()
            task.ended = true
        }
        try save(Array(tasks.keys), source: source, store: store)
        try close()
    }

    /// Hands each owned partition its rows: those at or after its next offset (a partition revoked
    /// and assigned again within one poll may see rows twice; rows of partitions no longer owned
    /// are read again by their new owner).
    private func dispatch(_ rows: [Int32: PartitionRows], atEnd: Set<Int32>) throws {
        for (p, task) in tasks.sorted(by: { $0.key < $1.key }) where !task.ended {
            task.pipeline.assignPartitions(input, [p])
            if let r = rows[p] {
                var fresh: [Int] = []
                for (i, offset) in r.offsets.enumerated() where offset >= task.nextOffset {
                    fresh.append(i)
                    task.nextOffset = offset + 1
                }
                if !fresh.isEmpty { try task.pipeline.push(fresh.count == r.offsets.count ? r.batch : r.batch.selecting(fresh), to: input) }
            }
            try task.pipeline.partitionsAtEnd(input, atEnd.contains(p) ? [p] : [])
        }
    }

    /// Creates the pipelines of newly assigned partitions from their saved state, where there is
    /// one, and makes the consumer start each such partition at the state's offset.
    private func assign(_ partitions: [Int32], source: KafkaSource, store: PartitionStateStore) throws {
        let saved = try store.load(partitions)
        for p in partitions {
            guard let bytes = saved[p] else {
                tasks[p] = Task(pipeline: try Pipeline(plan: plan, settings: settings, options: options, context: context))
                continue
            }
            var c: Checkpoint
            do throws(StateError) { c = try Checkpoint(decoding: bytes) } catch {
                throw StateError("state topic '\(stateTopic)', partition \(p): \(error.message)")
            }
            guard c.fingerprint == fingerprint else {
                throw StateError("state topic '\(stateTopic)' holds partition \(p)'s state for another version of this job "
                    + "(its query, bindings or options changed): use a new state topic to start over")
            }
            // The pipeline checks the checkpoint against its whole plan: this process's outputs may differ.
            c.fingerprint = planFingerprint
            guard let position = c.inputs[input] else { throw StateError("state topic '\(stateTopic)', partition \(p): no offset") }
            var r = StateReader(bytes: position.position)
            let offset = try r.readInt64()
            var o = options
            o.restore = c
            tasks[p] = Task(pipeline: try Pipeline(plan: plan, settings: settings, options: o, context: context),
                            nextOffset: offset, ended: position.ended)
            source.consumer.startOffsets[kafka.topic, default: [:]][p] = offset
        }
        context.onNotice?("partitions \(partitions.sorted()) of \(kafka.topic) assigned; \(saved.count) continue from their saved state")
    }

    /// Saves revoked partitions' state and drops their pipelines.
    private func revoke(_ partitions: [Int32], source: KafkaSource, store: PartitionStateStore) throws {
        try save(partitions, source: source, store: store)
        for p in partitions {
            try tasks[p]?.pipeline.detachOutputs()
            tasks[p] = nil
        }
        context.onNotice?("partitions \(partitions.sorted()) of \(kafka.topic) revoked; their state is saved in \(stateTopic)")
    }

    /// Flushes the outputs, then saves each partition's state (acknowledged by the broker), then
    /// commits the partitions' offsets: at-least-once, and a partition's saved state always matches
    /// its saved offset.
    private func save(_ partitions: [Int32], source: KafkaSource, store: PartitionStateStore) throws {
        let started = context.clock.now
        try outputs.flush()
        try deadLetter?.flush()
        var offsets: [Int32: Int64] = [:]
        var bytes = 0
        for p in partitions.sorted() {
            guard let task = tasks[p], task.nextOffset >= 0 else { continue }
            var c = try task.pipeline.checkpoint()
            c.fingerprint = fingerprint
            c.counters = []
            var w = StateWriter()
            w.write(task.nextOffset)
            c.inputs = [input: (w.bytes, .min, task.ended)]
            let encoded = c.encoded()
            try store.save(partition: p, state: encoded)
            bytes += encoded.count
            offsets[p] = task.nextOffset
        }
        guard !offsets.isEmpty else { return }
        try store.flush()
        try source.consumer.commit(topic: kafka.topic, offsets: offsets)
        context.counters.checkpoints += 1
        context.counters.checkpointNanos += UInt64(max(0, context.clock.now - started)) * 100
        context.counters.checkpointBytes = max(context.counters.checkpointBytes, bytes)
    }

    private func close() throws {
        try outputs.close()
        try deadLetter?.close()
    }

    /// The run's counters, the lowest watermark among the partitions, and the consumer lag.
    private func status(_ source: KafkaSource) -> PipelineStatus {
        let statuses = tasks.values.map { $0.pipeline.status() }
        let low = statuses.flatMap { $0.watermarks.map(\.watermark) }.min()
        return PipelineStatus(counters: context.counters, watermarks: low.map { [(input, $0)] } ?? [],
                              lags: source.lags.map { (input, $0.partition, $0.lag) }, heldRows: statuses.reduce(0) { $0 + $1.heldRows })
    }
}

extension EventBatch {
    /// The rows at `indices` (ascending), with their times, arrivals and partitions.
    func selecting(_ indices: [Int]) -> EventBatch {
        var out = EventBatch(width: width, capacity: indices.count)
        for i in indices {
            out.values.append(contentsOf: row(i))
            out.times.append(times[i])
            if !arrivals.isEmpty { out.arrivals.append(arrivals[i]) }
            if !partitions.isEmpty { out.partitions.append(partitions[i]) }
        }
        return out
    }
}
