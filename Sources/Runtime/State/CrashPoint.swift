#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Fault injection for the crash tests: `SAQL_CRASH_AT=point:n` kills the process with SIGKILL
/// the n-th time it passes `point`, at moments a timed kill rarely hits (in the middle of a
/// checkpoint, between finishing one lake file and opening the next). Unset, it costs one branch.
package enum CrashPoint: String {
    /// Outputs are durable and positioned, the checkpoint not yet stored.
    case checkpointWrite = "checkpoint"
    /// Outputs that commit with the checkpoint (PostgreSQL) committed it; it is not stored yet.
    case outputCommit = "commit"
    /// A partitioned output's file was renamed to its final name; the next one is not open yet.
    case fileRotation = "rotation"

    private static let armed: (point: String, count: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["SAQL_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]) else { return nil }
        return (String(parts[0]), n)
    }()
    nonisolated(unsafe) private static var passes = 0

    /// `SAQL_CRASH_ON=TEXT`: bytes of an event that make the process trap when it is decoded, standing
    /// in for a bug that one event triggers (the poison-event tests). Read once per source.
    package static var eventTrigger: [UInt8]? { ProcessInfo.processInfo.environment["SAQL_CRASH_ON"].map { Array($0.utf8) } }

    /// Counts a pass; kills the process on the armed pass.
    @inline(__always)
    package func pass() {
        guard let armed = Self.armed, armed.point == rawValue else { return }
        Self.passes += 1
        if Self.passes == armed.count { kill(getpid(), SIGKILL) }
    }
}
