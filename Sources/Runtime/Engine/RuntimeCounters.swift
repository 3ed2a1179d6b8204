import Planner

/// Counts of what a run did; printed as the run's summary line and exported as metrics.
package final class RuntimeCounters: @unchecked Sendable {
    package var inputEvents: [String: Int] = [:]
    package var outputRows: [String: Int] = [:]
    package var malformedEvents = 0
    package var evaluationErrors = 0
    package var lateAdjusted = 0, lateDropped = 0
    package var outOfOrderAdjusted = 0, outOfOrderDropped = 0
    package var earlyDropped = 0
    package var invalidTimestamps = 0
    /// Output records that could not be delivered (after the connector's own retries).
    package var outputErrors = 0
    /// Output records sent again after a failed delivery (output error policy `retry`).
    package var outputRetries = 0
    /// Checkpoints stored by this process, their total time (ns) and the largest one's size (bytes).
    /// Not part of checkpoints themselves.
    package var checkpoints = 0, checkpointNanos: UInt64 = 0, checkpointBytes = 0
    /// The last checkpoint stored: when it started, how long it took (ticks) and its size.
    package var lastCheckpoint: (at: Int64, duration: Int64, bytes: Int)?

    package init() {}

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
            for _ in 0..<(try r.readCount(elementSize: 16)) { d[try r.readString()] = try r.readInt(in: 0..<(1 << 62), "a count") }
            dicts.append(d)
        }
        inputEvents = dicts[0]
        outputRows = dicts[1]
        let n = try r.readInt64s().map { Int($0) }
        guard n.count == 10, n.allSatisfy({ (0..<(1 << 62)).contains($0) }) else { throw StateError("checkpoint counters have a wrong shape") }
        (malformedEvents, evaluationErrors, lateAdjusted, lateDropped, outOfOrderAdjusted) = (n[0], n[1], n[2], n[3], n[4])
        (outOfOrderDropped, earlyDropped, invalidTimestamps, outputErrors, outputRetries) = (n[5], n[6], n[7], n[8], n[9])
    }

    /// `events in=..., out=..., adjusted: late=.., out_of_order=..; dropped: ...`.
    package var summary: String {
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
