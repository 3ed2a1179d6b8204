import Planner

/// A physical operator in a push-based DAG: rows and watermarks come in on numbered ports and go
/// out through ``downstream``.
///
/// **Calls.** The runtime calls every method from one thread, never concurrently, in this order per
/// input port: any number of `process` and `watermark` calls, then one `finish`. A watermark
/// promises that no later row on that port has an earlier event time; `finish` is the end of
/// input on the port, and the operator flushes what it holds once all its ports have finished.
///
/// **State.** Every operator declares its state: it adopts ``StatelessOperator`` (nothing kept
/// between batches) or implements `stateVersion`, `saveState` and `restoreState` itself, so whether
/// a checkpoint covers an operator is a compile-time fact. `saveState` writes everything needed to
/// continue as if the run had never stopped; `restoreState` reads it into a freshly built operator
/// of the same plan node and throws ``StateError`` (never traps) on damaged bytes. `heldRows`
/// counts what the state holds, for metrics and memory limits.
///
/// Operators' mutable state is declared `@exclusivity(unchecked)`: an operator is only ever used from
/// one thread, so Swift's dynamic exclusivity checks would find nothing, and they cost up to a fifth
/// of the time in per-row loops (callgrind on the sliding-window benchmark).
package protocol Operator: AnyObject {
    /// The operator's name in metrics and errors (`WindowAggregate`, `StreamJoin`, ...).
    var name: String { get }
    /// Where the operator's rows and watermarks go; the operator factory connects its consumers.
    var downstream: Downstream { get }

    /// Handles a batch of rows arriving on `port`.
    func process(_ batch: EventBatch, port: Int) throws
    /// Handles a watermark arriving on `port`.
    func watermark(_ watermark: Watermark, port: Int) throws
    /// Handles the end of input on `port`.
    func finish(port: Int) throws

    /// Rows, groups, events or partial matches the operator holds across batches.
    var heldRows: Int { get }
    /// True when the state summarizes events already read (window groups, histories, models, join
    /// sides), so that the inputs' read positions may be committed only with a checkpoint. False when
    /// it is at most rows in flight (a reorder buffer), which ``heldRows`` counts.
    static var summarizesEvents: Bool { get }
    /// Changes whenever `saveState`'s layout changes: a checkpoint with another version is refused.
    static var stateVersion: Int { get }
    func saveState(into w: inout StateWriter)
    func restoreState(from r: inout StateReader) throws(StateError)
}

/// An operator that keeps nothing between batches: checkpoints hold only its output watermark,
/// which the pipeline saves.
package protocol StatelessOperator: Operator {}

extension StatelessOperator {
    package var heldRows: Int { 0 }
    package static var summarizesEvents: Bool { false }
    package static var stateVersion: Int { 0 }
    package func saveState(into w: inout StateWriter) {}
    package func restoreState(from r: inout StateReader) throws(StateError) {}
}

/// An operator that emits what a watermark completes (closed windows, sessions, change points)
/// before passing the watermark on; the end of input completes everything.
protocol EmittingOnWatermark: Operator {
    /// Emits every result complete before event time `time`.
    func emit(before time: Int64) throws
}

extension EmittingOnWatermark {
    package func watermark(_ w: Watermark, port: Int) throws {
        try emit(before: w.time)
        try downstream.watermark(w)
    }

    package func finish(port: Int) throws {
        try emit(before: .max)
        try downstream.finish()
    }
}
