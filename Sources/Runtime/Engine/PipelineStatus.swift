import Planner

/// A snapshot of a running pipeline, for progress lines and metrics.
package struct PipelineStatus {
    package var counters: RuntimeCounters
    /// Each input's watermark (inputs whose time has not started are left out).
    package var watermarks: [(input: String, watermark: Int64)]
    /// Consumer lag per Kafka partition.
    package var lags: [(input: String, partition: Int32, lag: Int64)]
    /// Rows held by operators.
    package var heldRows: Int
    /// Per input, what its watermark trails: the newest arrival time, or the newest event time
    /// of a file replayed at its event times.
    package var newestTimes: [String: Int64] = [:]
    /// Per Kafka partition owned: its watermark and newest arrival.
    package var partitionTimes: [(input: String, partition: Int32, watermark: Int64, newest: Int64)] = []
    /// Each plan node's figures, by its EXPLAIN id (the live page draws them on the plan).
    package var operators: [OperatorStatus] = []

    /// One operator's figures.
    package struct OperatorStatus: Sendable {
        package var id: Int
        package var name: String
        /// Rows it emitted so far.
        package var rowsOut: Int
        package var heldRows: Int
        /// The watermark it passed on last; nil before the first.
        package var watermark: Int64?
    }

    /// `in=.. out=.. watermark=.. lag=..`, one line.
    package var line: String {
        let inTotal = counters.inputEvents.values.reduce(0, +), outTotal = counters.outputRows.values.reduce(0, +)
        var s = "in=\(inTotal) out=\(outTotal)"
        if let w = watermarks.map(\.watermark).min() { s += " watermark=\(Timestamp(ticks: w).iso8601)" }
        if !lags.isEmpty { s += " lag=\(lags.map(\.lag).reduce(0, +))" }
        let dropped = counters.lateDropped + counters.outOfOrderDropped + counters.earlyDropped + counters.malformedEvents
        if dropped > 0 { s += " dropped=\(dropped)" }
        return s
    }
}
