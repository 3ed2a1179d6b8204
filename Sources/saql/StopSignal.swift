#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM ask a running job to stop: it stops reading, flushes its outputs, commits
/// what it may and exits with 128 + the signal's number (130, 143), so a stopped run is told from
/// a completed one (0). A second signal exits at once, with the same status.
enum StopSignal {
    /// The signal's number once one arrived, else 0.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }
    /// The exit status of a stopped run.
    static var exitStatus: Int32 { 128 + flag }

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if StopSignal.flag != 0 { _exit(128 + signal) }
            StopSignal.flag = signal
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started us with these signals blocked (Foundation's Process does).
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
