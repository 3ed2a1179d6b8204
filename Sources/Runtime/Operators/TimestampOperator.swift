import Planner
import HeapModule

/// Assigns event time and enforces ASA's event-ordering policies on one input.
///
/// Per event, in ASA's order: an event more than 5 minutes ahead of its arrival is dropped (early);
/// one older than its arrival time minus the late-arrival tolerance is adjusted to that bound or
/// dropped (late); one below the current watermark is adjusted to it or dropped (out of order).
/// Events within the out-of-order tolerance are buffered and released in event-time order.
///
/// The watermark is `max(largest event time - out-of-order tolerance, latest arrival - late tolerance)`;
/// the arrival term applies only when arrival times are real (not copied from the event time).
///
/// With `TIMESTAMP BY ... OVER keys` (substreams) each key has its own clock: out-of-order tolerance
/// applies within the key, and the late-arrival tolerance bounds how far keys drift apart (measured
/// against the latest arrival, or the latest event time of any key when arrival times are copied from
/// event times). The watermark sent downstream is that global bound; rows are ordered only per key.
///
/// A partitioned input (Kafka: rows carry their partition) keeps a clock per partition. Each event
/// is judged against its own partition's watermark, and the input's watermark is the lowest among
/// the partitions still holding time back: assigned, not at their end, and not silent for longer
/// than the partition idle timeout (wall-clock time). Rows are released in event-time order.
package final class TimestampOperator: Operator {
    package var name: String { "AssignTimestamp" }
    package let downstream = Downstream()
    private let input: String
    private let timeExpr: CompiledExpr?
    /// Reads ISO-8601 event times (events of one minute share their first 16 bytes).
    @exclusivity(unchecked) private var times = TimestampParser()
    private let outOfOrder: Int64
    private let late: Int64?
    private let policy: EventOrderingPolicy
    /// True when the source has no arrival times of its own, so arrival = event time.
    private let arrivalFromEventTime: Bool
    /// Re-timestamping a step's rows: a row's time so far is its arrival time.
    private let fromStep: Bool
    private let context: RuntimeContext
    private let recordColumn: Int?
    /// Without a whole-event column: the fields the job reads, and their columns, which a dead
    /// letter shows as the event.
    private let eventFields: [(name: String, column: Int)]
    private let width: Int
    private let overKeys: [CompiledExpr]
    /// Substream clocks: key → slot, each slot's largest event time and reorder buffer.
    @exclusivity(unchecked) private var substreams = GroupTable(width: 0)
    @exclusivity(unchecked) private var keyMaxTime: [Int64] = []
    @exclusivity(unchecked) private var keyBuffers: [Heap<Buffered>] = []

    @exclusivity(unchecked) private var maxTime = Int64.min
    @exclusivity(unchecked) private var maxArrival = Int64.min
    @exclusivity(unchecked) private var emitted = Int64.min
    @exclusivity(unchecked) private var sequence = 0
    @exclusivity(unchecked) private var buffer = Heap<Buffered>()
    /// Per-partition clocks, indexed by partition number (partitioned inputs only).
    @exclusivity(unchecked) private var partitionClocks: [PartitionClock] = []
    private let idleTimeout: Int64

    struct PartitionClock {
        var known = false
        var assigned = false
        var atEnd = false
        var maxTime = Int64.min
        var maxArrival = Int64.min
        /// Wall-clock time of its last record (or of its assignment).
        var lastSeen = Int64.min
    }

    private static let earlyLimit: Int64 = 5 * 60 * Timestamp.ticksPerSecond

    struct Buffered: Comparable {
        var time: Int64
        var seq: Int
        var row: [Value]
        static func < (a: Buffered, b: Buffered) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
        static func == (a: Buffered, b: Buffered) -> Bool { a.time == b.time && a.seq == b.seq }
    }

    /// `width` is the input rows' width.
    package init(input: String, assignment: TimestampAssignment, arrivalFromEventTime: Bool, recordColumn: Int?, width: Int,
                context: RuntimeContext, eventFields: [(name: String, column: Int)] = []) {
        self.eventFields = eventFields
        self.input = input
        self.width = width
        timeExpr = assignment.expr.map(ExprCompiler.compile)
        // Arrival time never goes backwards, so without TIMESTAMP BY there is nothing to reorder.
        outOfOrder = assignment.expr == nil ? 0 : assignment.outOfOrderTolerance.ticks
        late = assignment.lateArrivalTolerance?.ticks
        policy = assignment.policy
        self.arrivalFromEventTime = arrivalFromEventTime && assignment.expr != nil
        fromStep = assignment.step != nil
        self.recordColumn = recordColumn
        self.context = context
        overKeys = assignment.overKeys.map(ExprCompiler.compile)
        substreams = GroupTable(width: assignment.overKeys.count)
        idleTimeout = assignment.partitionIdleTimeout.ticks
    }

    /// Each owned partition's watermark and newest arrival (the live page draws one line per
    /// partition); empty for inputs without partitions.
    var partitionTimes: [(partition: Int32, watermark: Int64, newest: Int64)] {
        partitionClocks.enumerated().compactMap { p, c in
            c.known && c.assigned && c.maxArrival != .min ? (Int32(p), partitionWatermark(c), c.maxArrival) : nil
        }
    }

    /// What the watermark trails: the newest arrival time, or for inputs that arrive at their
    /// event times (replayed files), the newest event time; nil before the first event.
    var newestTime: Int64? {
        let t = arrivalFromEventTime ? maxTime : maxArrival
        return t == .min ? nil : t
    }

    package var heldRows: Int { buffer.count + keyBuffers.reduce(0) { $0 + $1.count } }


    /// The event time of a TIMESTAMP BY value, as ``Conversions/timestamp(_:)`` converts it.
    @inline(__always)
    private func eventTime(_ v: Value) throws(EvalError) -> Timestamp? {
        if case .string(let s) = v {
            if case let t?? = s.utf8.withContiguousStorageIfAvailable({ times.parse($0) }) { return t }
        }
        return try Conversions.timestamp(v)
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        if !overKeys.isEmpty { return try processSubstreams(batch) }
        let partitioned = !batch.partitions.isEmpty
        let wallNow = partitioned ? context.clock.now : 0
        // Hot state in locals for the batch (no exclusivity checks per row); written back below.
        var maxTime = self.maxTime, maxArrival = self.maxArrival
        let emittedBefore = emitted
        var keptRows: [Int32] = []
        var keptTimes: [Int64] = []
        keptRows.reserveCapacity(batch.count)
        keptTimes.reserveCapacity(batch.count)
        batch.forEachRow { i, row in
            let arrival = batch.arrivals.isEmpty ? (fromStep ? batch.times[i] : Int64.min) : batch.arrivals[i]
            let realArrival = arrival != .min && !arrivalFromEventTime
            if realArrival && arrival > maxArrival { maxArrival = arrival }
            let p = partitioned ? Int(batch.partitions[i]) : 0
            if partitioned {
                touchPartition(p, wallNow: wallNow)
                if realArrival { partitionClocks[p].maxArrival = max(partitionClocks[p].maxArrival, arrival) }
            }
            let w = partitioned ? max(partitionWatermark(partitionClocks[p]), emitted)
                : watermark(maxTime: maxTime, maxArrival: maxArrival, emitted: emittedBefore)
            var t: Int64
            if let timeExpr {
                do throws(EvalError) {
                    guard let ts = try eventTime(try timeExpr(row)) else {
                        reject(.invalidTimestamp, "TIMESTAMP BY is NULL", row: row, arrival: arrival, watermark: w, original: nil, adjusted: nil)
                        return
                    }
                    t = ts.ticks
                } catch {
                    reject(.invalidTimestamp, "cannot read the timestamp: \(error.message)", row: row, arrival: arrival, watermark: w,
                           original: nil, adjusted: nil)
                    return
                }
                if realArrival {
                    if isEarly(t, arrival: arrival, watermark: w, row: row) { return }
                    if let late, t < arrival - late {
                        guard let moved = enforce(.late, t, bound: arrival - late, watermark: w, row: row, arrival: arrival,
                                                  dropped: "arrived later than the late-arrival tolerance",
                                                  adjusted: "moved to arrival time minus the late-arrival tolerance") else { return }
                        t = moved
                    }
                }
            } else {
                t = arrival == .min ? max(maxTime, 0) : arrival
            }
            if t < w {
                guard let moved = enforce(.outOfOrder, t, bound: w, watermark: w, row: row, arrival: arrival,
                                          dropped: "older than the watermark by more than the out-of-order tolerance",
                                          adjusted: "moved up to the watermark") else { return }
                t = moved
            }
            if t > maxTime { maxTime = t }
            if partitioned { partitionClocks[p].maxTime = max(partitionClocks[p].maxTime, t) }
            if outOfOrder == 0 && buffer.isEmpty && !partitioned {
                keptRows.append(Int32(i))
                keptTimes.append(t)
            } else {
                buffer.insert(Buffered(time: t, seq: sequence, row: Array(UnsafeBufferPointer(start: row.values, count: batch.width))))
                sequence += 1
            }
        }
        self.maxTime = maxTime
        self.maxArrival = maxArrival
        var out: EventBatch
        if keptRows.count == batch.count {
            // Every row passes as is: forward the batch itself with its new times, copying no values.
            out = batch
            out.times = keptTimes
            out.arrivals = []
        } else {
            out = EventBatch(width: batch.width, capacity: keptRows.count)
            for (k, i) in keptRows.enumerated() { out.append(batch.row(Int(i)), time: keptTimes[k]) }
        }
        try advance(emitting: &out)
    }

    @inline(__always)
    private func watermark(maxTime: Int64, maxArrival: Int64, emitted: Int64) -> Int64 {
        var w = maxTime == .min ? Int64.min : maxTime - outOfOrder
        if maxArrival != .min, let late { w = max(w, maxArrival - late) }
        return max(w, emitted)
    }

    /// The watermark implied by what has been seen so far (never below what was already emitted).
    private var currentWatermark: Int64 {
        partitionClocks.isEmpty ? watermark(maxTime: maxTime, maxArrival: maxArrival, emitted: emitted)
            : max(partitionedWatermark(wallNow: context.clock.now), emitted)
    }

    @inline(__always)
    private func partitionWatermark(_ clock: PartitionClock) -> Int64 {
        var w = clock.maxTime == .min ? Int64.min : clock.maxTime - outOfOrder
        if clock.maxArrival != .min, let late { w = max(w, clock.maxArrival - late) }
        return w
    }

    /// The lowest watermark among partitions still holding time back; when none does (all at their
    /// end or idle), the highest. While no partition is assigned (a group still joining), time waits.
    private func partitionedWatermark(wallNow: Int64) -> Int64 {
        guard partitionClocks.contains(where: \.assigned) else { return .min }
        var lowest = Int64.max, highest = Int64.min, holding = false
        for clock in partitionClocks where clock.known {
            let w = partitionWatermark(clock)
            highest = max(highest, w)
            if clock.assigned && !clock.atEnd && clock.lastSeen > wallNow - idleTimeout {
                holding = true
                lowest = min(lowest, w)
            }
        }
        return holding ? lowest : highest
    }

    private func touchPartition(_ p: Int, wallNow: Int64) {
        if p >= partitionClocks.count { partitionClocks += Array(repeating: PartitionClock(), count: p + 1 - partitionClocks.count) }
        if !partitionClocks[p].known {
            partitionClocks[p].known = true
            partitionClocks[p].assigned = true
        }
        partitionClocks[p].atEnd = false
        partitionClocks[p].lastSeen = wallNow
    }

    /// Tells a partitioned input which partitions it owns, before their records arrive: a partition
    /// not heard from yet holds time back (until its end or the idle timeout).
    package func assignPartitions(_ assigned: [Int32]) {
        let wallNow = context.clock.now
        let before = partitionClocks.map(\.assigned)
        for i in partitionClocks.indices { partitionClocks[i].assigned = false }
        for p in assigned.map(Int.init) {
            if p >= partitionClocks.count || !partitionClocks[p].known { touchPartition(p, wallNow: wallNow) }
            // A partition's idle time counts from when this process got it (a restored clock too).
            if p >= before.count || !before[p] { partitionClocks[p].lastSeen = wallNow }
            partitionClocks[p].assigned = true
        }
    }

    /// Tells a partitioned input which partitions are read to their end (after their last records
    /// were processed); moves time on when that, or silence, releases what held it back.
    package func partitionsAtEnd(_ atEnd: Set<Int32>) throws {
        for p in atEnd.map(Int.init) where p < partitionClocks.count { partitionClocks[p].atEnd = true }
        var none = EventBatch(width: 0)
        try advance(emitting: &none)
    }

    private func advance(emitting out: inout EventBatch) throws {
        let w = currentWatermark
        try release(upTo: w, into: &out)
        try downstream.emit(out)
        if w > emitted {
            emitted = w
            try downstream.watermark(Watermark(w))
        }
    }

    private func release(upTo w: Int64, into out: inout EventBatch) throws {
        while let top = buffer.min, top.time <= w {
            let e = buffer.removeMin()
            if out.isEmpty { out.width = e.row.count }
            out.append(e.row, time: e.time)
        }
    }

    /// The global watermark of substreams: the latest arrival (or event time) minus the late-arrival
    /// tolerance; with no tolerance, the slowest key's clock.
    private func substreamWatermark() -> Int64 {
        let clock = arrivalFromEventTime ? maxTime : maxArrival
        if let late, clock != .min { return max(clock - late, emitted) }
        guard late == nil, let slowest = keyMaxTime.min(), slowest != .min else { return emitted }
        return max(slowest - outOfOrder, emitted)
    }

    private func processSubstreams(_ batch: EventBatch) throws {
        var out = EventBatch(width: batch.width, capacity: batch.count)
        var key = [Value](repeating: .null, count: overKeys.count)
        batch.forEachRow { i, row in
            let arrival = batch.arrivals.isEmpty ? (fromStep ? batch.times[i] : Int64.min) : batch.arrivals[i]
            let realArrival = arrival != .min && !arrivalFromEventTime
            if realArrival && arrival > maxArrival { maxArrival = arrival }
            let global = substreamWatermark()
            var t: Int64
            do throws(EvalError) {
                for k in overKeys.indices { key[k] = try overKeys[k](row) }
                guard let ts = try timeExpr.map({ e throws(EvalError) in try eventTime(try e(row)) }) ?? Timestamp(ticks: arrival) else {
                    reject(.invalidTimestamp, "TIMESTAMP BY is NULL", row: row, arrival: arrival, watermark: global, original: nil, adjusted: nil)
                    return
                }
                t = ts.ticks
            } catch {
                reject(.invalidTimestamp, "cannot read the timestamp or its OVER key: \(error.message)", row: row, arrival: arrival,
                       watermark: global, original: nil, adjusted: nil)
                return
            }
            if key.contains(where: \.isNull) {
                reject(.invalidTimestamp, "the TIMESTAMP BY OVER key is NULL", row: row, arrival: arrival, watermark: global,
                       original: t, adjusted: nil)
                return
            }
            if realArrival && isEarly(t, arrival: arrival, watermark: global, row: row) { return }
            // Late: behind the global bound on drift between substreams.
            if late != nil, t < global {
                guard let moved = enforce(.late, t, bound: global, watermark: global, row: row, arrival: arrival,
                                          dropped: "behind the other substreams by more than the late-arrival tolerance",
                                          adjusted: "moved up to the substreams' late-arrival bound") else { return }
                t = moved
            }
            let (s, inserted) = substreams.slot(for: key)
            if inserted {
                keyMaxTime.append(.min)
                keyBuffers.append(Heap())
            }
            // Out of order: within the substream only.
            let own = keyMaxTime[s] == .min ? Int64.min : keyMaxTime[s] - outOfOrder
            if t < own {
                guard let moved = enforce(.outOfOrder, t, bound: own, watermark: own, row: row, arrival: arrival,
                                          dropped: "older than its substream's watermark",
                                          adjusted: "moved up to its substream's watermark") else { return }
                t = moved
            }
            keyMaxTime[s] = max(keyMaxTime[s], t)
            maxTime = max(maxTime, t)
            if outOfOrder == 0 {
                out.append(UnsafeBufferPointer(start: row.values, count: batch.width), time: t)
            } else {
                keyBuffers[s].insert(Buffered(time: t, seq: sequence, row: Array(UnsafeBufferPointer(start: row.values, count: batch.width))))
                sequence += 1
            }
        }
        let global = substreamWatermark()
        for s in keyBuffers.indices {
            let bound = max(keyMaxTime[s] - outOfOrder, global)
            while let top = keyBuffers[s].min, top.time <= bound {
                let e = keyBuffers[s].removeMin()
                out.append(e.row, time: e.time)
            }
        }
        try downstream.emit(out)
        if global > emitted {
            emitted = global
            try downstream.watermark(Watermark(global))
        }
    }

    /// ASA's first check: an event more than 5 minutes ahead of its arrival is dropped (counted,
    /// dead-lettered). True when it was.
    @inline(__always)
    private func isEarly(_ t: Int64, arrival: Int64, watermark: Int64, row: RowRef) -> Bool {
        guard t > arrival &+ Self.earlyLimit else { return false }
        context.counters.earlyDropped += 1
        reject(.early, "event time is more than 5 minutes after its arrival time", row: row, arrival: arrival, watermark: watermark,
               original: t, adjusted: nil)
        return true
    }

    /// The ordering policy for an event behind `bound` (late, or out of order): under `drop`, or when
    /// `bound` is the end of input (nothing can be moved there), the event is counted and
    /// dead-lettered and `nil` returned; under `adjust` it is counted and reported, and `bound` is
    /// its new time.
    @inline(__always)
    private func enforce(_ reason: DeadLetter.Reason, _ t: Int64, bound: Int64, watermark: Int64, row: RowRef, arrival: Int64,
                         dropped: String, adjusted: String) -> Int64? {
        let c = context.counters
        if policy == .drop || bound == .max {
            if reason == .late { c.lateDropped += 1 } else { c.outOfOrderDropped += 1 }
            reject(reason, dropped, row: row, arrival: arrival, watermark: watermark, original: t, adjusted: nil)
            return nil
        }
        if reason == .late { c.lateAdjusted += 1 } else { c.outOfOrderAdjusted += 1 }
        report(reason, detail: adjusted, row: row, arrival: arrival, watermark: watermark, original: t, adjusted: bound)
        return bound
    }

    /// An input's operator has no upstream watermark (its time comes from arrivals and heartbeats);
    /// over a step, the step's watermark is how far arrival time has come.
    package func watermark(_ w: Watermark, port: Int) throws {
        if fromStep, !w.isEndOfInput, w != .none { try heartbeat(arrival: w.time) }
    }

    /// Advances arrival time without an event: an idle input's watermark moves to
    /// `arrival - late-arrival tolerance`, as ASA's wall-clock rule does.
    package func heartbeat(arrival: Int64) throws {
        guard !arrivalFromEventTime, arrival > maxArrival, partitionClocks.isEmpty else { return }
        maxArrival = arrival
        if !overKeys.isEmpty { return try processSubstreams(EventBatch(width: 0)) }
        var none = EventBatch(width: 0)
        try advance(emitting: &none)
    }

    package func finish(port: Int) throws {
        var out = EventBatch(width: 0)
        try release(upTo: .max, into: &out)
        for s in keyBuffers.indices {
            while let e = keyBuffers[s].popMin() {
                if out.isEmpty { out.width = e.row.count }
                out.append(e.row, time: e.time)
            }
        }
        try downstream.emit(out)
        try downstream.finish()
    }

    private func reject(_ reason: DeadLetter.Reason, _ detail: String, row: RowRef, arrival: Int64, watermark: Int64,
                        original: Int64?, adjusted: Int64?) {
        if reason == .invalidTimestamp { context.counters.invalidTimestamps += 1 }
        report(reason, detail: detail, row: row, arrival: arrival, watermark: watermark, original: original, adjusted: adjusted)
    }

    /// Sends an event to the dead-letter output, with the watermark it was judged against.
    private func report(_ reason: DeadLetter.Reason, detail: String, row: RowRef, arrival: Int64, watermark: Int64,
                        original: Int64?, adjusted: Int64?) {
        guard let sink = context.deadLetter else { return }
        var event: Record?
        if let rc = recordColumn, case .record(let r) = row[rc] {
            event = r
        } else if !eventFields.isEmpty {
            event = Record(names: eventFields.map(\.name), values: eventFields.map { row[$0.column] })
        }
        sink(DeadLetter(reason: reason, input: input, detail: detail, event: event, arrivalTime: arrival == .min ? nil : arrival,
                        watermark: watermark == .min ? nil : watermark, originalTime: original, adjustedTime: adjusted, position: nil))
    }
}

extension TimestampOperator {
    package static var stateVersion: Int { 1 }
    package static var summarizesEvents: Bool { false }

    private static func save(_ heap: Heap<Buffered>, into w: inout StateWriter) {
        let items = heap.unordered
        w.write(items.count)
        for b in items {
            w.write(b.time)
            w.write(b.seq)
            w.write(b.row)
        }
    }

    private func restoreHeap(from r: inout StateReader) throws(StateError) -> Heap<Buffered> {
        var items: [Buffered] = []
        for _ in 0..<(try r.readCount(elementSize: 24)) {
            let time = try r.readEventTime(), seq = try r.readInt(in: 0..<(1 << 62), "a sequence number"), row = try r.readValues()
            guard row.count == width else { throw StateError("a buffered row has \(row.count) columns, the input has \(width)") }
            items.append(Buffered(time: time, seq: seq, row: row))
        }
        return Heap(items)
    }

    package func saveState(into w: inout StateWriter) {
        w.write([maxTime, maxArrival, emitted, Int64(sequence)])
        Self.save(buffer, into: &w)
        substreams.save(into: &w)
        w.write(keyMaxTime)
        for heap in keyBuffers { Self.save(heap, into: &w) }
        // Partition clocks keep their times; ownership and idleness are decided afresh by the new run.
        w.write(partitionClocks.count)
        for c in partitionClocks { w.write([c.known ? 1 : 0, c.maxTime, c.maxArrival]) }
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        guard try r.readCount(elementSize: 8) == 4 else { throw StateError("timestamp state has a wrong shape") }
        (maxTime, maxArrival, emitted) = (try r.readTime(), try r.readTime(), try r.readTime())
        // The largest event and arrival times seen are instants (or none yet); only the emitted
        // watermark reaches +infinity, at the end of input.
        guard maxTime != .max, maxArrival != .max else { throw StateError("timestamp state has a wrong shape") }
        sequence = try r.readInt(in: 0..<(1 << 62), "a sequence number")
        buffer = try restoreHeap(from: &r)
        substreams = try GroupTable.restore(from: &r, width: overKeys.count)
        keyMaxTime = try r.readTimes()
        guard keyMaxTime.count == substreams.count, !keyMaxTime.contains(.max) else { throw StateError("timestamp state has a wrong shape") }
        keyBuffers = []
        for _ in 0..<substreams.count { keyBuffers.append(try restoreHeap(from: &r)) }
        partitionClocks = []
        // Partitions are numbered from 0: a clock per partition up to the highest seen.
        for _ in 0..<(try r.readCount(elementSize: 32)) {
            guard try r.readCount(elementSize: 8) == 3 else { throw StateError("timestamp state has a wrong shape") }
            let known = try r.readInt64() != 0, time = try r.readTime(), arrival = try r.readTime()
            guard time != .max, arrival != .max else { throw StateError("timestamp state has a wrong shape") }
            // Heard from "now": a restored partition holds time back for the idle timeout, as a new one does.
            partitionClocks.append(PartitionClock(known: known, maxTime: time, maxArrival: arrival, lastSeen: context.clock.now))
        }
        guard partitionClocks.count <= 1 << 20 else { throw StateError("timestamp state holds too many partitions") }
    }
}
