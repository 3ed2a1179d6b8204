import Planner

/// A physical operator in a push-based DAG.
///
/// Operators' mutable state is declared `@exclusivity(unchecked)`: an operator is only ever used from
/// one thread (below), so Swift's dynamic exclusivity checks would find nothing, and they cost up to
/// a fifth of the time in per-row loops (callgrind on the sliding-window benchmark).
///
/// The runtime calls every method from one thread, never concurrently, in this order per input
/// port: any number of `process` and `watermark` calls, then one `finish`. A watermark `w` promises
/// that no later row on that port has an event time below `w`.
public protocol Operator: AnyObject {
    /// Handles a batch of rows arriving on `port`.
    func process(_ batch: EventBatch, port: Int) throws
    /// Handles a watermark arriving on `port`.
    func watermark(_ time: Int64, port: Int) throws
    /// Handles the end of input on `port`; the operator flushes what it holds once all ports ended.
    func finish(port: Int) throws
    /// The state the operator keeps, for EXPLAIN and checkpoints (empty for stateless operators).
    var stateDescription: String { get }
    /// How many rows the operator holds (0 for operators that hold none, or do not count them yet).
    var heldRows: Int { get }
}

extension Operator {
    public var stateDescription: String { "" }
    public var heldRows: Int { 0 }
}

/// Where an operator's output goes: every consumer, each on its own input port.
public final class Downstream {
    var targets: [(op: Operator, port: Int)] = []
    private(set) var lastWatermark = Int64.min

    public init() {}

    public func connect(_ op: Operator, port: Int) { targets.append((op, port)) }

    /// Sets the last forwarded watermark (restoring a checkpoint).
    func restore(watermark: Int64) { lastWatermark = watermark }

    @inline(__always)
    public func emit(_ batch: EventBatch) throws {
        guard !batch.isEmpty else { return }
        for t in targets { try t.op.process(batch, port: t.port) }
    }

    /// Forwards a watermark if it advances.
    public func watermark(_ time: Int64) throws {
        guard time > lastWatermark else { return }
        lastWatermark = time
        for t in targets { try t.op.watermark(time, port: t.port) }
    }

    public func finish() throws {
        try watermark(.max)
        for t in targets { try t.op.finish(port: t.port) }
    }
}

/// Per-port watermarks and end-of-input for operators with several inputs: the combined watermark is
/// the minimum over ports that have not ended.
struct PortClock {
    private var marks: [Int64]
    private var ended: [Bool]

    init(ports: Int) {
        marks = Array(repeating: .min, count: max(ports, 1))
        ended = Array(repeating: false, count: max(ports, 1))
    }

    /// Records a port's watermark; returns the combined watermark.
    mutating func advance(_ port: Int, to time: Int64) -> Int64 {
        marks[port] = max(marks[port], time)
        return combined
    }

    /// Marks a port ended; returns true once every port has ended.
    mutating func end(_ port: Int) -> Bool {
        ended[port] = true
        marks[port] = .max
        return ended.allSatisfy { $0 }
    }

    var combined: Int64 { marks.min() ?? .min }

    func save(into w: inout StateWriter) {
        w.write(marks)
        w.write(ended.map { $0 ? Int64(1) : 0 })
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        let m = try r.readInt64s(), e = try r.readInt64s()
        guard m.count == marks.count, e.count == ended.count else { throw StateError("checkpoint does not match the job: port count") }
        marks = m
        ended = e.map { $0 != 0 }
    }
}

/// An operator whose only state is its ports' clock.
protocol PortClockOperator: StatefulOperator {
    var portClock: PortClock { get set }
}

extension PortClockOperator {
    public static var stateVersion: Int { 1 }
    public func saveState(into w: inout StateWriter) { portClock.save(into: &w) }
    public func restoreState(from r: inout StateReader) throws(StateError) {
        var c = portClock
        try c.restore(from: &r)
        portClock = c
    }
}

/// Shared services for operators: counters, the dead-letter output, and diagnostics for row errors.
public final class RuntimeContext {
    public let counters = RuntimeCounters()
    /// Receives every event the engine drops or adjusts, with the reason (see README, "Error policy").
    public var deadLetter: ((DeadLetter) -> Void)?
    /// Called for the first few row-level errors of each kind, for logging.
    public var onRowError: ((String) -> Void)?
    /// True once the run should stop (a signal): outputs waiting to retry give up instead of waiting on.
    public var isStopping: () -> Bool = { false }
    private var reported: [String: Int] = [:]

    public init() {}

    /// Counts a row skipped because an expression failed.
    func rowError(_ error: EvalError, in operatorName: String) {
        counters.evaluationErrors += 1
        let key = operatorName + ": " + error.message
        let n = reported[key, default: 0]
        reported[key] = n + 1
        if n < 3 { onRowError?("\(key) (row skipped)") }
    }
}

/// An event the engine did not process normally, with why.
public struct DeadLetter: Sendable {
    public enum Reason: String, Sendable {
        case late, outOfOrder = "out_of_order", early, invalidTimestamp = "invalid_timestamp"
        case malformed, evaluationError = "evaluation_error"
        /// An output row its destination rejected (output error policy `drop`); `input` then names the output.
        case outputError = "output_error"
    }
    public var reason: Reason
    public var input: String
    public var detail: String
    /// The event as read, when it could be read.
    public var event: Record?
    public var arrivalTime: Int64?
    public var watermark: Int64?
    public var originalTime: Int64?
    public var adjustedTime: Int64?
    /// Where the event came from: `file:line`, or a broker position.
    public var position: String?
}

/// Counts of what a run did; printed as the run's summary line and exported as metrics.
public final class RuntimeCounters: @unchecked Sendable {
    public var inputEvents: [String: Int] = [:]
    public var outputRows: [String: Int] = [:]
    public var malformedEvents = 0
    public var evaluationErrors = 0
    public var lateAdjusted = 0, lateDropped = 0
    public var outOfOrderAdjusted = 0, outOfOrderDropped = 0
    public var earlyDropped = 0
    public var invalidTimestamps = 0
    /// Output records that could not be delivered (after the connector's own retries).
    public var outputErrors = 0
    /// Output records sent again after a failed delivery (output error policy `retry`).
    public var outputRetries = 0
    /// Checkpoints stored by this process, their total time (ns) and the largest one's size (bytes).
    /// Not part of checkpoints themselves.
    public var checkpoints = 0, checkpointNanos: UInt64 = 0, checkpointBytes = 0

    public init() {}

    func save(into w: inout StateWriter) {
        for dict in [inputEvents, outputRows] {
            w.write(dict.count)
            for (k, v) in dict.sorted(by: { $0.key < $1.key }) {
                w.write(k)
                w.write(v)
            }
        }
        w.write([malformedEvents, evaluationErrors, lateAdjusted, lateDropped, outOfOrderAdjusted, outOfOrderDropped,
                 earlyDropped, invalidTimestamps, outputErrors, outputRetries].map(Int64.init))
    }

    func restore(from r: inout StateReader) throws(StateError) {
        var dicts: [[String: Int]] = []
        for _ in 0..<2 {
            var d: [String: Int] = [:]
            for _ in 0..<(try r.readCount()) { d[try r.readString()] = try r.readInt() }
            dicts.append(d)
        }
        inputEvents = dicts[0]
        outputRows = dicts[1]
        let n = try r.readInt64s().map { Int($0) }
        guard n.count == 10 else { throw StateError("checkpoint counters have a wrong shape") }
        (malformedEvents, evaluationErrors, lateAdjusted, lateDropped, outOfOrderAdjusted) = (n[0], n[1], n[2], n[3], n[4])
        (outOfOrderDropped, earlyDropped, invalidTimestamps, outputErrors, outputRetries) = (n[5], n[6], n[7], n[8], n[9])
    }

    /// `events in=..., out=..., adjusted: late=.., out_of_order=..; dropped: ...`.
    public var summary: String {
        let inTotal = inputEvents.values.reduce(0, +), outTotal = outputRows.values.reduce(0, +)
        var s = "events in=\(inTotal) out=\(outTotal)"
        s += "; adjusted late=\(lateAdjusted) out_of_order=\(outOfOrderAdjusted)"
        s += "; dropped late=\(lateDropped) out_of_order=\(outOfOrderDropped) early=\(earlyDropped)"
        s += " invalid_timestamp=\(invalidTimestamps) malformed=\(malformedEvents) evaluation_error=\(evaluationErrors)"
        if outputErrors > 0 { s += "; output errors=\(outputErrors)" }
        if outputRetries > 0 { s += "; output retries=\(outputRetries)" }
        if checkpoints > 0 {
            s += "; checkpoints=\(checkpoints) avg \(checkpointNanos / UInt64(checkpoints) / 1_000_000) ms, largest \(checkpointBytes / 1024) KB"
        }
        return s
    }
}
