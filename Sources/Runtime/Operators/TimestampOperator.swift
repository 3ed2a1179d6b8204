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
public final class TimestampOperator: Operator {
    public let downstream = Downstream()
    private let input: String
    private let timeExpr: CompiledExpr?
    private let outOfOrder: Int64
    private let late: Int64?
    private let policy: EventOrderingPolicy
    /// True when the source has no arrival times of its own, so arrival = event time.
    private let arrivalFromEventTime: Bool
    private let context: RuntimeContext
    private let recordColumn: Int?

    private var maxTime = Int64.min
    private var maxArrival = Int64.min
    private var emitted = Int64.min
    private var sequence = 0
    private var buffer = Heap<Buffered>()

    private static let earlyLimit: Int64 = 5 * 60 * Timestamp.ticksPerSecond

    struct Buffered: Comparable {
        var time: Int64
        var seq: Int
        var row: [Value]
        static func < (a: Buffered, b: Buffered) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
        static func == (a: Buffered, b: Buffered) -> Bool { a.time == b.time && a.seq == b.seq }
    }

    public init(input: String, assignment: TimestampAssignment, arrivalFromEventTime: Bool, recordColumn: Int?,
                context: RuntimeContext) {
        self.input = input
        timeExpr = assignment.expr.map(ExprCompiler.compile)
        // Arrival time never goes backwards, so without TIMESTAMP BY there is nothing to reorder.
        outOfOrder = assignment.expr == nil ? 0 : assignment.outOfOrderTolerance.ticks
        late = assignment.lateArrivalTolerance?.ticks
        policy = assignment.policy
        self.arrivalFromEventTime = arrivalFromEventTime && assignment.expr != nil
        self.recordColumn = recordColumn
        self.context = context
    }

    public var stateDescription: String { "reorder buffer: \(buffer.count) events" }

    public func process(_ batch: EventBatch, port: Int) throws {
        let c = context.counters
        // Hot state in locals for the batch (no exclusivity checks per row); written back below.
        var maxTime = self.maxTime, maxArrival = self.maxArrival
        let emittedBefore = emitted
        var keptRows: [Int32] = []
        var keptTimes: [Int64] = []
        keptRows.reserveCapacity(batch.count)
        keptTimes.reserveCapacity(batch.count)
        batch.forEachRow { i, row in
            let arrival = batch.arrivals.isEmpty ? Int64.min : batch.arrivals[i]
            let realArrival = arrival != .min && !arrivalFromEventTime
            if realArrival && arrival > maxArrival { maxArrival = arrival }
            var t: Int64
            if let timeExpr {
                do throws(EvalError) {
                    guard let ts = try Conversions.timestamp(try timeExpr(row)) else {
                        reject(.invalidTimestamp, "TIMESTAMP BY is NULL", row: row, arrival: arrival, original: nil, adjusted: nil)
                        return
                    }
                    t = ts.ticks
                } catch {
                    reject(.invalidTimestamp, "cannot read the timestamp: \(error.message)", row: row, arrival: arrival,
                           original: nil, adjusted: nil)
                    return
                }
                if realArrival {
                    if t > arrival &+ Self.earlyLimit {
                        c.earlyDropped += 1
                        reject(.early, "event time is more than 5 minutes after its arrival time", row: row, arrival: arrival,
                               original: t, adjusted: nil)
                        return
                    }
                    if let late, t < arrival - late {
                        if policy == .drop {
                            c.lateDropped += 1
                            reject(.late, "arrived later than the late-arrival tolerance", row: row, arrival: arrival,
                                   original: t, adjusted: nil)
                            return
                        }
                        c.lateAdjusted += 1
                        report(.late, row: row, arrival: arrival, original: t, adjusted: arrival - late)
                        t = arrival - late
                    }
                }
            } else {
                t = arrival == .min ? max(maxTime, 0) : arrival
            }
            let w = watermark(maxTime: maxTime, maxArrival: maxArrival, emitted: emittedBefore)
            if t < w {
                if policy == .drop {
                    c.outOfOrderDropped += 1
                    reject(.outOfOrder, "older than the watermark by more than the out-of-order tolerance", row: row,
                           arrival: arrival, original: t, adjusted: nil)
                    return
                }
                c.outOfOrderAdjusted += 1
                report(.outOfOrder, row: row, arrival: arrival, original: t, adjusted: w)
                t = w
            }
            if t > maxTime { maxTime = t }
            if outOfOrder == 0 && buffer.isEmpty {
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
    private var currentWatermark: Int64 { watermark(maxTime: maxTime, maxArrival: maxArrival, emitted: emitted) }

    private func advance(emitting out: inout EventBatch) throws {
        let w = currentWatermark
        try release(upTo: w, into: &out)
        try downstream.emit(out)
        if w > emitted {
            emitted = w
            try downstream.watermark(w)
        }
    }

    private func release(upTo w: Int64, into out: inout EventBatch) throws {
        while let top = buffer.min, top.time <= w {
            let e = buffer.removeMin()
            if out.isEmpty { out.width = e.row.count }
            out.append(e.row, time: e.time)
        }
    }

    public func watermark(_ time: Int64, port: Int) throws {}

    /// Advances arrival time without an event: an idle input's watermark moves to
    /// `arrival - late-arrival tolerance`, as ASA's wall-clock rule does.
    public func heartbeat(arrival: Int64) throws {
        guard !arrivalFromEventTime, arrival > maxArrival else { return }
        maxArrival = arrival
        var none = EventBatch(width: 0)
        try advance(emitting: &none)
    }

    public func finish(port: Int) throws {
        var out = EventBatch(width: 0)
        try release(upTo: .max, into: &out)
        try downstream.emit(out)
        try downstream.finish()
    }

    private func reject(_ reason: DeadLetter.Reason, _ detail: String, row: RowRef, arrival: Int64, original: Int64?, adjusted: Int64?) {
        if reason == .invalidTimestamp { context.counters.invalidTimestamps += 1 }
        report(reason, detail: detail, row: row, arrival: arrival, original: original, adjusted: adjusted)
    }

    private func report(_ reason: DeadLetter.Reason, detail: String = "adjusted", row: RowRef, arrival: Int64,
                        original: Int64?, adjusted: Int64?) {
        guard let sink = context.deadLetter else { return }
        var event: Record?
        if let rc = recordColumn, case .record(let r) = row[rc] { event = r }
        sink(DeadLetter(reason: reason, input: input, detail: detail, event: event, arrivalTime: arrival == .min ? nil : arrival,
                        watermark: emitted == .min ? nil : emitted, originalTime: original, adjustedTime: adjusted, position: nil))
    }
}
