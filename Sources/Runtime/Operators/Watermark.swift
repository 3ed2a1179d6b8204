import Planner

/// Event-time progress on a stream: no later row will have an event time below ``time``.
///
/// A watermark is an event time, ``endOfInput`` (no row will follow at all) or ``none`` (nothing
/// promised yet). Idleness is resolved where it is known rather than sent downstream: an idle
/// Kafka partition stops holding its input's time back inside the input's ``TimestampOperator``,
/// and an idle input moves its time on by ASA's rule (``Pipeline/heartbeat(_:arrival:)``), so the
/// operators after it see event time and the end of input only.
package struct Watermark: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Event time in ticks; `Int64.min` for ``none``, `Int64.max` for ``endOfInput``.
    package var time: Int64

    package init(_ time: Int64) { self.time = time }

    /// No promise yet: every event time may still come.
    package static let none = Watermark(.min)
    /// The stream has ended.
    package static let endOfInput = Watermark(.max)

    package var isEndOfInput: Bool { time == .max }

    package static func < (a: Watermark, b: Watermark) -> Bool { a.time < b.time }

    package var description: String {
        switch time {
        case .min: return "none"
        case .max: return "end of input"
        default: return Timestamp(ticks: time).iso8601
        }
    }
}
