import Planner

/// Options for building a ``Pipeline``.
public struct PipelineOptions {
    /// Rows per batch read from a source.
    public var batchSize = 1024
    /// The run's start time: the arrival time of events without one (as in ASA local runs).
    public var runStart: Int64
    /// Receives rows of outputs bound to the embedded connector.
    public var onRow: ((String, Record, Int64) -> Void)?
    /// Called when an embedded output has received all its rows.
    public var onOutputClosed: ((String) -> Void)?
    /// Where rejected events are written, one JSON object per event (see `DeadLetterWriter`).
    public var deadLetter: OutputBinding?
    /// Called about once a second while ``Pipeline/run(until:)`` runs, on its thread: for progress
    /// lines and metrics.
    public var onProgress: ((PipelineStatus) -> Void)?
    /// A checkpoint to continue from: operators, input positions and outputs resume where it was taken.
    public var restore: Checkpoint?
    /// Where ``Pipeline/run(until:)`` stores checkpoints, and how often (wall-clock ticks).
    public var checkpoints: CheckpointStore?
    public var checkpointInterval: Int64 = 10 * Timestamp.ticksPerSecond
    /// Outputs opened by a ``PartitionedRun`` for all its pipelines.
    var sharedOutputs: SharedOutputs?
    /// Reference tables a ``PartitionedRun``'s pipelines share (each is loaded once).
    var sharedReferences: SharedReferences?

    public init(runStart: Int64) { self.runStart = runStart }
}
