import Planner

/// An output holds a checkpoint newer than the one being restored: it committed its rows with that
/// checkpoint, and the run stopped before storing it in the state directory. ``makeJobRun`` stores
/// it and restores from it instead.
package struct NewerCheckpoint: Error {
    /// The encoded checkpoint (``Checkpoint/encoded()``).
    package var state: [UInt8]
    /// Which output held it, for the notice.
    package var source: String
}
