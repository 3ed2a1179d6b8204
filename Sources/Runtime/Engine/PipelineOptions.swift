import Foundation
import Planner

/// Options for building a ``Pipeline``.
package struct PipelineOptions {
    /// Rows per batch read from a source.
    package var batchSize = 1024
    /// How many threads decode a file input's next batches while the operators run (lanes; 0
    /// reads on the run's thread). By default one per core the process may use, up to 4, when
    /// there is more than one. Outputs are the same either way.
    package var readAheadLanes: Int = {
        let cores = usableCores
        return cores > 1 ? min(cores, 4) : 0
    }()

    /// The cores this process may run on: its CPU affinity (`taskset`), which
    /// `activeProcessorCount` does not see on Linux. (Glibc's `sched_getaffinity` is not visible
    /// to Swift, so the mask is read from `/proc/self/status`.)
    private static var usableCores: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return cores }
        let allowed = line.dropFirst("Cpus_allowed:".count).reduce(0) { $0 + (Int(String($1), radix: 16)?.nonzeroBitCount ?? 0) }
        return allowed > 0 ? min(allowed, cores) : cores
    }
    /// The run's start time: the arrival time of events without one (as in ASA local runs).
    package var runStart: Int64
    /// Receives rows of outputs bound to the embedded connector.
    package var onRow: ((String, Record, Int64) -> Void)?
    /// Called when an embedded output has received all its rows.
    package var onOutputClosed: ((String) -> Void)?
    /// Where rejected events are written, one JSON object per event (see `DeadLetterWriter`).
    package var deadLetter: OutputBinding?
    /// Called about once a second while ``Pipeline/run(until:)`` runs, on its thread: for progress
    /// lines and metrics.
    package var onProgress: ((PipelineStatus) -> Void)?
    /// How often a run over files reports progress (live runs report every second, when they flush).
    package var progressInterval: Int64 = Timestamp.ticksPerSecond
    /// A checkpoint to continue from: operators, input positions and outputs resume where it was taken.
    package var restore: Checkpoint?
    /// Where ``Pipeline/run(until:)`` stores checkpoints, and how often (wall-clock ticks).
    package var checkpoints: CheckpointStore?
    package var checkpointInterval: Int64 = 10 * Timestamp.ticksPerSecond
    /// Starting without a checkpoint (`--from-scratch`): saql-owned outputs that hold rows are
    /// emptied. Without it, a stateful start that finds such rows refuses to run (they would be
    /// written twice).
    package var fromScratch = false
    /// Outputs opened by a ``PartitionedRun`` for all its pipelines.
    var sharedOutputs: SharedOutputs?
    /// Reference tables a ``PartitionedRun``'s pipelines share (each is loaded once).
    var sharedReferences: SharedReferences?

    package init(runStart: Int64) { self.runStart = runStart }
}
