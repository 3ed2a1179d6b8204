import Planner

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
