import Foundation

/// A date part as DATEADD, DATEDIFF, DATEPART, DATENAME, windows and LIMIT DURATION name it.
package enum DatePart: String, Hashable, Sendable, Encodable, CaseIterable {
    case year, quarter, month, dayofyear, day, week, weekday, hour, minute, second, millisecond, microsecond, nanosecond

    /// Parses a part name or abbreviation (`mi`, `n`, `ss`, ...), ignoring case.
    package init?(name: String) {
        switch name.lowercased() {
        case "year", "yy", "yyyy", "years": self = .year
        case "quarter", "qq", "q": self = .quarter
        case "month", "mm", "m", "months": self = .month
        case "dayofyear", "dy", "y": self = .dayofyear
        case "day", "dd", "d", "days": self = .day
        case "week", "wk", "ww": self = .week
        case "weekday", "dw", "w": self = .weekday
        case "hour", "hh", "hours": self = .hour
        case "minute", "mi", "n", "minutes": self = .minute
        case "second", "ss", "s", "seconds": self = .second
        case "millisecond", "ms", "milliseconds": self = .millisecond
        case "microsecond", "mcs", "microseconds": self = .microsecond
        case "nanosecond", "ns": self = .nanosecond
        default: return nil
        }
    }

    /// The fixed length of one unit in 100-ns ticks, for the parts that have one.
    package var fixedTicks: Int64? {
        switch self {
        case .week: return 7 * 864_000_000_000
        case .day, .dayofyear, .weekday: return 864_000_000_000
        case .hour: return 36_000_000_000
        case .minute: return 600_000_000
        case .second: return 10_000_000
        case .millisecond: return 10_000
        case .microsecond: return 10
        case .nanosecond: return 1
        case .year, .quarter, .month: return nil
        }
    }

    /// Units allowed in window sizes, LIMIT DURATION and ISFIRST: day down to microsecond.
    package var isDurationUnit: Bool {
        switch self {
        case .day, .hour, .minute, .second, .millisecond, .microsecond: return true
        default: return false
        }
    }
}

/// A span of time in 100-ns ticks; the resolution of `datetime`.
package struct TimeSpan: Hashable, Sendable, Encodable, Comparable, CustomStringConvertible {
    package var ticks: Int64
    package init(ticks: Int64) { self.ticks = ticks }

    package static let zero = TimeSpan(ticks: 0)
    package static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(ticks: s * 10_000_000) }
    package static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.ticks < b.ticks }

    /// The longest span saql takes anywhere: 10,000 years, the whole datetime range. A datetime
    /// plus or minus one such span stays inside a 64-bit tick count.
    package static let longest = TimeSpan(ticks: 10_000 * 366 * 864_000_000_000)

    /// `count` units of `unitTicks` ticks each, rounded to a tick; nil when not finite or longer
    /// than ``longest`` (a size written by a user must not trap the conversion).
    package init?(count: Double, unitTicks: Int64) {
        let v = (count * Double(unitTicks)).rounded()
        guard v.isFinite, Swift.abs(v) <= Double(Self.longest.ticks) else { return nil }
        ticks = Int64(v)
    }

    /// Parses `'8s'`, `'500ms'`, `'2m'`, `'1h'`, `'1d'`, `'250us'` or a plain number of seconds.
    package init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1e4), ("us", 10), ("s", 1e7), ("m", 6e8), ("h", 3.6e10), ("d", 8.64e11)]
        var number = t, scale = 1e7
        for (suffix, s) in units where t.hasSuffix(suffix) {
            number = String(t.dropLast(suffix.count))
            scale = s
            break
        }
        guard let v = Double(number.trimmingCharacters(in: .whitespaces)), let span = TimeSpan(count: v, unitTicks: Int64(scale)) else { return nil }
        self = span
    }

    /// A compact spelling: `5s`, `1m`, `1h30m`, `500ms`.
    package var description: String {
        if ticks == 0 { return "0s" }
        var rest = ticks < 0 ? -ticks : ticks
        var out = ticks < 0 ? "-" : ""
        for (unit, size) in [("d", Int64(864_000_000_000)), ("h", 36_000_000_000), ("m", 600_000_000),
                             ("s", 10_000_000), ("ms", 10_000), ("us", 10)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        if rest > 0 { out += "\(rest * 100)ns" }
        return out
    }
}
