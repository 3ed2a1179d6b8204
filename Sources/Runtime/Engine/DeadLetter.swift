import Planner

/// An event the engine did not process normally, with why.
package struct DeadLetter: Sendable {
    package enum Reason: String, Sendable {
        case late, outOfOrder = "out_of_order", early, invalidTimestamp = "invalid_timestamp"
        case malformed, evaluationError = "evaluation_error"
        /// An output row its destination rejected (output error policy `drop`); `input` then names the output.
        case outputError = "output_error"
        /// An event that crashed the job twice, skipped by the poison-event guard (``PoisonGuard``).
        case poison
    }
    package var reason: Reason
    package var input: String
    package var detail: String
    /// The event as read, when it could be read.
    package var event: Record?
    package var arrivalTime: Int64?
    package var watermark: Int64?
    package var originalTime: Int64?
    package var adjustedTime: Int64?
    /// Where the event came from: `file:line`, or a broker position.
    package var position: String?
}
