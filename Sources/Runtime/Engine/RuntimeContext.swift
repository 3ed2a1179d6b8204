import Planner

/// Shared services for operators: counters, the dead-letter output, and diagnostics for row errors.
/// One per run; used from the run's thread only.
package final class RuntimeContext {
    package let counters = RuntimeCounters()
    /// Receives every event the engine drops or adjusts, with the reason (see README, "Error policy").
    package var deadLetter: ((DeadLetter) -> Void)?
    /// Called for the first few row-level errors of each kind, for logging.
    package var onRowError: ((String) -> Void)?
    /// Receives a line for what a run does beside processing events (partitions assigned or
    /// revoked, state restored), for logs.
    package var onNotice: ((String) -> Void)?
    /// Receives rows as outputs write them (the live page): every row of a `dashboard` output, the
    /// last rows of each batch of others, with their `System.Timestamp()`. Set before the
    /// pipeline is built; nil costs nothing.
    package var outputTap: ((String, [(row: Record, time: Int64)]) -> Void)?
    /// True once the run should stop (a signal): outputs waiting to retry give up instead of waiting on.
    package var isStopping: () -> Bool = { false }
    /// Set by an output holding many rows until the next checkpoint (a transactional database
    /// output): the run checkpoints at its next turn instead of at the interval, so memory stays bounded.
    package var checkpointWanted = false
    /// Wall-clock time for the whole run (see ``Clock``).
    package var clock: any Clock = SystemClock()
    /// How file inputs read ahead: batches of `rows` events, decoded by `lanes` threads of their
    /// own; nil to read on the run's thread (one core, or ``PipelineOptions/readAheadLanes`` 0).
    package var readAhead: (rows: Int, lanes: Int)?
    /// The run's poison-event guard, armed by read-ahead threads for the batch they decode.
    var crashGuard: PoisonGuard?
    private var reported: [String: Int] = [:]

    package init() {}

    /// Waits `seconds` before an output retries, in slices of at most 100 ms so that a stop
    /// request ends the wait at once (the caller then gives up and names what was not written).
    func retryPause(seconds: Double) {
        var left = Int64(seconds * Double(Timestamp.ticksPerSecond))
        let slice = Timestamp.ticksPerSecond / 10
        while left > 0 && !isStopping() {
            clock.sleep(ticks: min(left, slice))
            left -= slice
        }
    }

    /// Throws the error that stopped the run, if one did (checked after each batch).
    package func throwIfFailed() throws {
        if let failure { throw JobFailure(message: failure.message) }
    }

    /// The error that stops the run (a user function past its time limit), once one happened.
    package private(set) var failure: EvalError?

    /// Counts a row skipped because an expression failed, and dead-letters it (with what a user
    /// function's error says of its call). A fatal error is recorded to stop the run.
    func rowError(_ error: EvalError, in operatorName: String) {
        if error.isFatal {
            if failure == nil { failure = error }
            return
        }
        counters.evaluationErrors += 1
        deadLetter?(DeadLetter(reason: .evaluationError, input: operatorName, detail: error.message, event: error.detail,
                               arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: nil))
        let key = operatorName + ": " + error.message
        let n = reported[key, default: 0]
        reported[key] = n + 1
        if n < 3 { onRowError?("\(key) (row skipped)") }
    }
}

/// A run stopped by an error in user code (a function over its time limit).
package struct JobFailure: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}
