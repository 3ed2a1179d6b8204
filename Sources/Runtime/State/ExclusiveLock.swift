#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive advisory lock (`flock`) on a file, held while the value lives: one process per
/// state directory and per output file, so two runs of a job cannot interleave their writes.
/// The kernel drops the lock when the process dies, so a kill -9 leaves nothing to clean up.
package final class ExclusiveLock {
    private let fd: Int32

    /// Locks `fd` (which the lock then owns and closes), or throws naming `what` when another
    /// process holds it.
    package init(descriptor fd: Int32, what: String) throws {
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            _ = Glibc.close(fd)
            throw ConnectorError(busy ? "\(what) is in use by another saql process; stop it first (two runs would interleave their writes)"
                                      : "cannot lock \(what): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    /// Locks `path`, creating it when missing.
    package convenience init(path: String, what: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConnectorError("cannot open '\(path)' to lock \(what): \(String(cString: strerror(errno)))") }
        try self.init(descriptor: fd, what: what)
    }

    deinit { _ = Glibc.close(fd) }
}
