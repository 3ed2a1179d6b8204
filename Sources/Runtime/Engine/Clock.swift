#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Planner

/// Wall-clock time, for everything that depends on real time rather than event time: idle
/// timeouts, flush, checkpoint and refresh intervals, retry backoff, progress reports and broker
/// waits. The run reads it only through its ``RuntimeContext``, so a test can drive time with a
/// ``ManualClock`` instead of sleeping.
package protocol Clock: AnyObject {
    /// Ticks (100 ns) since 1970-01-01T00:00:00Z.
    var now: Int64 { get }
    /// Waits `ticks` of this clock's time.
    func sleep(ticks: Int64)
}

/// The system's real-time clock.
package final class SystemClock: Clock {
    package init() {}
    package var now: Int64 { Timestamp.now.ticks }

    package func sleep(ticks: Int64) {
        guard ticks > 0 else { return }
        var request = timespec(tv_sec: Int(ticks / Timestamp.ticksPerSecond), tv_nsec: Int(ticks % Timestamp.ticksPerSecond) * 100)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// A clock that moves only when told to (tests): `sleep` advances it instead of waiting.
package final class ManualClock: Clock {
    package var now: Int64

    package init(_ start: Int64 = Timestamp(year: 2024, month: 1, day: 1).ticks) { now = start }

    package func advance(by ticks: Int64) { now = now.addingSaturating(ticks) }
    package func sleep(ticks: Int64) { advance(by: max(ticks, 0)) }
}
