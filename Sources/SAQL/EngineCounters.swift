import Runtime

/// What a job has done so far: a snapshot of its counters.
public struct EngineCounters: Sendable, Hashable {
    /// Events pushed, by input.
    public var inputEvents: [String: Int]
    /// Rows produced, by output.
    public var outputRows: [String: Int]
    /// Events that could not be read (invalid JSON, a value that does not fit its declared type).
    public var malformedEvents: Int
    /// Rows skipped because an expression failed on them (a CAST, a user function's exception).
    public var evaluationErrors: Int
    /// Events whose time was adjusted, or which were dropped, for arriving late or out of order.
    public var lateAdjusted: Int, lateDropped: Int, outOfOrderAdjusted: Int, outOfOrderDropped: Int
    /// Events dropped for a time too far ahead of their arrival.
    public var earlyDropped: Int
    /// Events whose TIMESTAMP BY value was not a valid time.
    public var invalidTimestamps: Int

    init(_ c: RuntimeCounters) {
        inputEvents = c.inputEvents
        outputRows = c.outputRows
        malformedEvents = c.malformedEvents
        evaluationErrors = c.evaluationErrors
        (lateAdjusted, lateDropped) = (c.lateAdjusted, c.lateDropped)
        (outOfOrderAdjusted, outOfOrderDropped) = (c.outOfOrderAdjusted, c.outOfOrderDropped)
        earlyDropped = c.earlyDropped
        invalidTimestamps = c.invalidTimestamps
    }
}
