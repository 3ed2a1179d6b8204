import Foundation
import Planner

/// Rows of one partition, with each row's offset.
package struct PartitionRows {
    package var batch: EventBatch
    package var offsets: [Int64] = []
}

/// Reads a Kafka input's records into rows of its layout, adding ASA's system columns.
///
/// * `EventEnqueuedUtcTime`: the record's timestamp (LogAppendTime when the topic uses it, else the
///   producer's CreateTime), also the event's arrival time;
/// * `PartitionId`: the record's partition;
/// * `EventProcessedUtcTime`: when saql read it.
///
/// As ASA documents for its metadata, a payload field with one of these names is overwritten.
/// `GetMetadataPropertyValue` columns (key, headers, offset, ...) are filled per record.
package final class KafkaSource: CommittingSource, PartitionedSource, NamedRecordSource {
    package let input: String
    let consumer: KafkaConsumer
    private var decoder: EventDecoder
    private let options: KafkaInputOptions
    private let context: RuntimeContext
    private let layout: InputLayout
    /// Row columns of the system fields the query reads, if any.
    private let enqueuedColumn: Int?, partitionColumn: Int?, processedColumn: Int?
    /// Row columns of the metadata properties the query reads.
    private let metadataColumns: [(column: Int, property: MetadataProperty)]
    package private(set) var ended = false
    /// A bounded run's end offsets of every partition.
    private let ends: TopicEnds?
    /// When partitions held by other members were last checked, and what was reported.
    private var othersChecked: Int64?
    private var waitingReported: [Int32] = []
    /// Since when this member's own partitions are done while others are not.
    private var waitingSince: Int64?
    /// ``CrashPoint/eventTrigger``.
    private let crashTrigger = CrashPoint.eventTrigger
    /// The poison-event guard's view of the last crash, once the run hands it over.
    private var poison: PoisonWatch?

    /// What a restart after a crash on this input watches for.
    private struct PoisonWatch {
        let guardian: PoisonGuard
        let crashed: PoisonGuard.Record
        let batchSize: Int64
        /// Per partition, the offsets the crashed batch may have held: from where the partition
        /// stood at the crash, or, for a partition not read then, from the first record read now.
        var windows: [Int32: Range<Int64>]
        /// The record that crashed the job twice, to pass over.
        var skip: String?
        /// False once no record of the crashed batch can come.
        var open = true

        /// Whether the record at `offset` of `partition` may have been in the crashed batch.
        mutating func covers(_ partition: Int32, _ offset: Int64) -> Bool {
            if let w = windows[partition] { return w.contains(offset) }
            guard open else { return false }
            windows[partition] = offset..<offset.addingSaturating(batchSize)
            return true
        }
    }

    package init(input: String, options: KafkaInputOptions, layout: InputLayout, compatibility: CompatibilityLevel,
                context: RuntimeContext) throws {
        self.input = input
        self.options = options
        self.context = context
        self.layout = layout
        var config = KafkaConfig(options.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        config.setDefault("bootstrap.servers", options.brokers)
        config.setDefault("group.id", options.groupId)
        config.setDefault("auto.offset.reset", options.start == .latest ? "latest" : "earliest")
        // A bounded run learns the topic's ends before it joins the group.
        ends = options.stopAtEnd ? try TopicEnds(config: config, topic: options.topic) : nil
        consumer = try KafkaConsumer(config: config, topics: [options.topic])
        decoder = EventDecoder(layout: layout, format: options.format, arrivalField: nil, compatibility: compatibility)
        func column(_ name: String) -> Int? {
            layout.fields.firstIndex { $0.caseInsensitiveEquals(name) }.map { layout.column(ofField: $0) }
        }
        enqueuedColumn = column("EventEnqueuedUtcTime")
        partitionColumn = column("PartitionId")
        processedColumn = column("EventProcessedUtcTime")
        metadataColumns = layout.fields.enumerated().compactMap { i, field in
            MetadataProperty(layoutField: field).map { (layout.column(ofField: i), $0) }
        }
    }

    /// The next records, up to `maxRows`, waiting at most `timeoutMs` for the first. An empty batch
    /// means none came; `nil` means the input ended (`stop = 'end'` and every partition read).
    package func nextBatch(maxRows: Int, timeoutMs: Int32) throws -> EventBatch? {
        guard let rows = try read(maxRows: maxRows, timeoutMs: timeoutMs, byPartition: false) else { return nil }
        return rows[0]?.batch ?? EventBatch(width: decoder.width)
    }

    /// Like ``nextBatch(maxRows:timeoutMs:)``, with the records decoded into one batch per partition.
    package func nextBatches(maxRows: Int, timeoutMs: Int32) throws -> [Int32: PartitionRows]? {
        try read(maxRows: maxRows, timeoutMs: timeoutMs, byPartition: true)
    }

    /// Decodes the next records into batches: one per partition, or all under key 0.
    private func read(maxRows: Int, timeoutMs: Int32, byPartition: Bool) throws -> [Int32: PartitionRows]? {
        guard !ended else { return nil }
        var parts: [Int32: PartitionRows] = [:]
        let now = context.clock.now
        let width = decoder.width, capacity = byPartition ? maxRows / 4 : maxRows
        var local = decoder
        defer { decoder = local }
        var count = 0
        let n = consumer.poll(max: maxRows, timeoutMs: timeoutMs, onError: { [context, input] in
            context.onRowError?("kafka input '\(input)': \($0) (retrying)")
        }) { record in
            if poison != nil, watchPoison(record) { return }
            if let crashTrigger, record.value.firstRange(of: crashTrigger) != nil { fatalError("SAQL_CRASH_ON matched an event") }
            let arrival = record.timestampMs.map { $0 * 10_000 } ?? now
            let key = byPartition ? record.partition : 0
            // In place: the dictionary's storage is not copied.
            func decode(into rows: inout PartitionRows) throws(DecodeError) {
                let before = rows.batch.count
                try local.decode(record.value, into: &rows.batch, defaultArrival: arrival)
                guard rows.batch.count > before else { return }
                rows.batch.partitions.append(record.partition)
                rows.offsets.append(record.offset)
                fillSystemColumns(&rows.batch, row: before, arrival: arrival, partition: record.partition, processed: now)
                for (column, property) in metadataColumns {
                    rows.batch.values[before * width + column] = Self.metadata(property, of: record, arrival: arrival, processed: now)
                }
                count += 1
            }
            do throws(DecodeError) {
                try decode(into: &parts[key, default: PartitionRows(batch: EventBatch(width: width, capacity: capacity))])
            } catch {
                context.counters.malformedEvents += 1
                context.onRowError?("kafka \(record.topic)[\(record.partition)]@\(record.offset): malformed event skipped: \(error.message)")
                context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: error.message,
                                               event: Record(names: ["raw"], values: [.string(String(decoding: record.value.prefix(4096), as: UTF8.self))]),
                                               arrivalTime: arrival, watermark: nil, originalTime: nil, adjustedTime: nil,
                                               position: "\(record.topic)[\(record.partition)]@\(record.offset)"))
            }
        }
        context.counters.inputEvents[input, default: 0] += count
        if options.stopAtEnd && n == 0 {
            let assigned = consumer.assignment
            if !assigned.isEmpty && Set(assigned).isSubset(of: consumer.atEnd) { ended = othersAreFinished(assigned) } else { waitingSince = nil }
        }
        return parts
    }

    package func nextBatch(maxRows: Int) throws -> EventBatch? { try nextBatch(maxRows: maxRows, timeoutMs: 100) }

    func watch(_ guardian: PoisonGuard, crashed: PoisonGuard.Record, batchSize: Int) {
        let starts = (try? Self.offsets(crashed.batchStart))?[options.topic] ?? [:]
        let size = Int64(batchSize)
        let skip = crashed.event.map { String(decoding: $0, as: UTF8.self) }
        poison = PoisonWatch(guardian: guardian, crashed: crashed, batchSize: size,
                             windows: starts.mapValues { $0..<$0.addingSaturating(size) }, skip: skip)
    }

    var isIsolating: Bool {
        guard var watch = poison, watch.open else { return false }
        let (assigned, atEnd) = partitionState
        let read = consumer.readPositions[options.topic] ?? [:]
        // Before the group assigns partitions, any of them may hold the crashed batch.
        let windows = watch.windows
        watch.open = assigned.isEmpty || assigned.contains { p in
            guard !atEnd.contains(p) else { return false }
            guard let window = windows[p] else { return true }
            return (read[p] ?? window.lowerBound) < window.upperBound
        }
        poison = watch
        return watch.open
    }

    /// The guard's part in reading one record after a crash: passes over (and reports) the record
    /// that crashed the job twice, and arms each record that may have been in the crashed batch by
    /// its name. Returns true when the record is to be skipped.
    private func watchPoison(_ record: KafkaRecord) -> Bool {
        guard var watch = poison else { return false }
        defer { poison = watch }
        let name = "\(record.topic)[\(record.partition)]@\(record.offset)"
        if name == watch.skip {
            watch.skip = nil
            PoisonGuard.report(raw: Array(record.value.prefix(4096)), position: "kafka \(name)", input: input,
                               signal: watch.crashed.signal, context: context)
            return true
        }
        if watch.covers(record.partition, record.offset) { watch.guardian.arm(named: name, crashed: watch.crashed) }
        return false
    }

    /// A bounded run whose own partitions are read may end only when the topic's other partitions
    /// are read to their start-time ends by the group (committed): while a member that died still
    /// holds some, the run waits until its session expires and they move here. Checked once a second.
    private func othersAreFinished(_ assigned: [Int32]) -> Bool {
        guard let ends else { return true }
        let now = context.clock.now
        if let last = othersChecked, now - last < Timestamp.ticksPerSecond { return false }
        othersChecked = now
        let waiting = ends.unfinished(outside: assigned, consumer: consumer)
        if !waiting.isEmpty && waiting != waitingReported {
            context.onNotice?("kafka input '\(input)': partitions \(waiting) of \(ends.topic) are held by other members and not read to their end; "
                + "waiting for them (a stopped member's partitions move here when its session expires)")
        }
        waitingReported = waiting
        guard !waiting.isEmpty else { return true }
        // A dead member's partitions move here within its session timeout; partitions still held
        // after twice that (and a join) belong to a live member, which reads them itself (two
        // bounded members may each be waiting for the other's commits, made at their ends).
        let since = waitingSince ?? now
        waitingSince = since
        if now - since > 2 * sessionTimeout + 5 * Timestamp.ticksPerSecond {
            context.onNotice?("kafka input '\(input)': partitions \(waiting) stay with live members; this member's partitions are done")
            return true
        }
        return false
    }

    /// The group's session timeout (`properties.session.timeout.ms`, librdkafka's default 45 s).
    private var sessionTimeout: Int64 {
        Int64(options.properties["session.timeout.ms"] ?? "").map { $0 * 10_000 } ?? 45 * Timestamp.ticksPerSecond
    }

    private func fillSystemColumns(_ batch: inout EventBatch, row: Int, arrival: Int64, partition: Int32, processed: Int64) {
        let base = row * batch.width
        let system: [(Int?, String, Value)] = [
            (enqueuedColumn, "EventEnqueuedUtcTime", .datetime(Timestamp(ticks: arrival))),
            (partitionColumn, "PartitionId", .bigint(Int64(partition))),
            (processedColumn, "EventProcessedUtcTime", .datetime(Timestamp(ticks: processed))),
        ]
        for (column, _, value) in system { if let c = column { batch.values[base + c] = value } }
        if layout.wantsRecord, case .record(var r) = batch.values[base] {
            for (_, name, value) in system { r.set(name, value) }
            batch.values[base] = .record(r)
        }
    }

    static func metadata(_ property: MetadataProperty, of record: KafkaRecord, arrival: Int64, processed: Int64) -> Value {
        switch property {
        case .enqueuedTime: return .datetime(Timestamp(ticks: arrival))
        case .processedTime: return .datetime(Timestamp(ticks: processed))
        case .partition: return .bigint(Int64(record.partition))
        case .offset: return .bigint(record.offset)
        case .key: return record.key.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        case .topic: return .string(record.topic)
        case .timestampType: return .string(record.logAppendTime ? "LogAppendTime" : "CreateTime")
        case .header(let name):
            return record.headers.last { $0.name == name }.map { $0.value.map(Value.string) ?? .null } ?? .null
        case .iotHub(let field):
            guard let text = record.headers.last(where: { $0.name == field.header })?.value else { return .null }
            if field == .enqueueTime { return Timestamp(parsing: text).map(Value.datetime) ?? .string(text) }
            return .string(text)
        case .eventId: return .string(EventID.of(record.topic, partition: Int64(record.partition), offset: record.offset))
        case .blobName, .blobLastModified, .qos, .retain, .messageId: return .null
        case .group(.user):
            let headers = record.headers
            return .record(Record(names: headers.map(\.name), values: headers.map { $0.value.map(Value.string) ?? .null }))
        case .group(let group):
            let members = MetadataProperty.members(of: group)
            return .record(Record(names: members.map(\.0),
                                  values: members.map { metadata($0.1, of: record, arrival: arrival, processed: processed) }))
        }
    }

    /// The next offset of every partition read so far (for checkpoints).
    package var position: [UInt8] {
        var w = StateWriter()
        let positions = consumer.readPositions
        w.write(positions.values.reduce(0) { $0 + $1.count })
        for (topic, offsets) in positions.sorted(by: { $0.key < $1.key }) {
            for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
                w.write(topic)
                w.write(Int(partition))
                w.write(offset)
            }
        }
        return w.bytes
    }

    /// Partitions assigned from now on start at the checkpoint's offsets instead of the group's.
    package func restore(position: [UInt8]) throws {
        for (topic, offsets) in try Self.offsets(position) {
            for (partition, offset) in offsets { consumer.startOffsets[topic, default: [:]][partition] = offset }
        }
    }

    /// The offsets a ``position`` holds, by topic and partition.
    static func offsets(_ position: [UInt8]) throws -> [String: [Int32: Int64]] {
        var r = StateReader(bytes: position)
        var out: [String: [Int32: Int64]] = [:]
        guard !r.isAtEnd else { return out }
        for _ in 0..<(try r.readCount()) {
            let topic = try r.readString(), partition = Int32(try r.readInt()), offset = try r.readInt64()
            out[topic, default: [:]][partition] = offset
        }
        return out
    }

    /// Consumer lag per owned partition.
    package var lags: [(partition: Int32, lag: Int64)] { consumer.lags }

    /// The partitions this consumer owns (asked of librdkafka at most every 200 ms: the call waits
    /// on its group thread), and those read to their end.
    package var partitionState: (assigned: [Int32], atEnd: Set<Int32>) {
        let now = context.clock.now
        if now >= assignmentAsked.addingSaturating(200 * 10_000) || assignment.isEmpty {
            assignment = consumer.assignment
            assignmentAsked = now
        }
        return (assignment, consumer.atEnd)
    }
    private var assignment: [Int32] = []
    private var assignmentAsked = Int64.min

    /// Commits what was read (call after the outputs are flushed); periodic commits are `async`.
    package func commit(async: Bool = false) throws { try consumer.commit(async: async) }
    package var isLive: Bool { true }

    package func close() { consumer.close() }
}
