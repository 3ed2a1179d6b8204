import Planner

/// Produces an input's events as batches of rows, with their arrival times.
///
/// The run loop reads every source through this protocol; what only some sources can do is a
/// protocol of its own that they adopt (``CommittingSource``, ``PartitionedSource``).
package protocol EventSource: AnyObject {
    var input: String { get }
    /// The next batch of up to `maxRows` rows; `nil` at the end of the input. A live source
    /// returns an empty batch when nothing has arrived yet.
    func nextBatch(maxRows: Int) throws -> EventBatch?
    /// Where the next event comes from, for checkpoints.
    var position: [UInt8] { get }
    /// Continues from a position written by ``position``.
    func restore(position: [UInt8]) throws
    /// True for sources that keep running (brokers): outputs are then flushed every second.
    var isLive: Bool { get }
    /// Releases the source's connections.
    func close()
}

extension EventSource {
    package var isLive: Bool { false }
    package func close() {}
}

/// A source whose read positions are committed back to where it reads (a consumer group's
/// offsets), once what was read is written.
protocol CommittingSource: EventSource {
    func commit(async: Bool) throws
}

/// A source that reads partitions, each with its own time: the run tells the input's
/// ``TimestampOperator`` which partitions it owns and which are at their end.
protocol PartitionedSource: EventSource {
    var partitionState: (assigned: [Int32], atEnd: Set<Int32>) { get }
    /// How far each owned partition's reader is behind its end.
    var lags: [(partition: Int32, lag: Int64)] { get }
}
