#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM ask a running job to stop: it stops reading, flushes its outputs, commits
/// what it may and exits 0. A second signal exits at once.
enum StopSignal {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if StopSignal.flag != 0 { _exit(130) }
            StopSignal.flag = 1
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
