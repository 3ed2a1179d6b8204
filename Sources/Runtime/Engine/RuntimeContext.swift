import Planner

/// Shared services for operators: counters, the dead-letter output, and diagnostics for row errors.
/// One per run; used from the run's thread only.
public final class RuntimeContext {
    public let counters = RuntimeCounters()
    /// Receives every event the engine drops or adjusts, with the reason (see README, "Error policy").
    public var deadLetter: ((DeadLetter) -> Void)?
    /// Called for the first few row-level errors of each kind, for logging.
    public var onRowError: ((String) -> Void)?
    /// Receives a line for what a run does beside processing events (partitions assigned or
    /// revoked, state restored), for logs.
    public var onNotice: ((String) -> Void)?
    /// True once the run should stop (a signal): outputs waiting to retry give up instead of waiting on.
    public var isStopping: () -> Bool = { false }
    /// Wall-clock time for the whole run (see ``Clock``).
    public var clock: any Clock = SystemClock()
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
