import Foundation

/// A UTC instant with ASA's `datetime` resolution: 100-ns ticks since 1970-01-01T00:00:00Z.
public struct Timestamp: Hashable, Sendable, Encodable, Comparable, CustomStringConvertible {
    public var ticks: Int64

    public init(ticks: Int64) { self.ticks = ticks }

    public static let ticksPerSecond: Int64 = 10_000_000
    package static let ticksPerDay: Int64 = 864_000_000_000
    public static let min = Timestamp(ticks: .min)
    public static let max = Timestamp(ticks: .max)

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.ticks < b.ticks }

    /// The instants a `datetime` can hold: years 0001 to 9999, as in ASA. `min` and `max` stand
    /// outside it for "before every event" and "end of input".
    package static let representable = Timestamp(year: 1, month: 1, day: 1).ticks...(Timestamp(year: 10000, month: 1, day: 1).ticks - 1)

    /// The current wall-clock time.
    public static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(ticks: Int64(ts.tv_sec) * ticksPerSecond + Int64(ts.tv_nsec) / 100)
    }

    package static func + (t: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(ticks: t.ticks.addingSaturating(d.ticks)) }
    package static func - (t: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(ticks: t.ticks.addingSaturating(-d.ticks)) }

    /// The instant at a civil UTC date and time; out-of-range fields roll over.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, ticks frac: Int64 = 0) {
        let days = CivilCalendar.daysFromCivil(year: year, month: month, day: day)
        ticks = Int64(days) * Self.ticksPerDay + Int64(hour) * 36_000_000_000 + Int64(minute) * 600_000_000
            + Int64(second) * Self.ticksPerSecond + frac
    }

    /// The civil UTC fields of this instant.
    package var components: CivilComponents {
        let days = ticks.floorDiv(Self.ticksPerDay)
        let inDay = ticks - days * Self.ticksPerDay
        let (y, m, d) = CivilCalendar.civilFromDays(Int(days))
        return CivilComponents(year: y, month: m, day: d, hour: Int(inDay / 36_000_000_000),
                              minute: Int(inDay / 600_000_000 % 60), second: Int(inDay / 10_000_000 % 60),
                              fraction: inDay % 10_000_000)
    }

    /// ISO-8601 with 7 fractional digits and `Z`, as ASA writes datetimes.
    public var description: String { iso8601 }

    public var iso8601: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(28)
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the ISO-8601 form to a byte buffer without creating a String: the 28 bytes of
    /// `YYYY-MM-DDThh:mm:ss.fffffffZ` are written in place (a negative year takes a sign).
    package func appendISO8601(to out: inout [UInt8]) {
        let c = components
        if c.year < 0 { out.append(UInt8(ascii: "-")) }
        let p = out.count
        out.append(contentsOf: repeatElement(0, count: 28))
        out.withUnsafeMutableBufferPointer { b in
            @inline(__always) func put(_ v: Int, _ width: Int, at end: Int) {
                var x = v
                for i in stride(from: end - 1, through: end - width, by: -1) {
                    b[i] = UInt8(truncatingIfNeeded: 0x30 + x % 10)
                    x /= 10
                }
            }
            put(abs(c.year), 4, at: p + 4)
            b[p + 4] = 0x2D; put(c.month, 2, at: p + 7)
            b[p + 7] = 0x2D; put(c.day, 2, at: p + 10)
            b[p + 10] = 0x54; put(c.hour, 2, at: p + 13)
            b[p + 13] = 0x3A; put(c.minute, 2, at: p + 16)
            b[p + 16] = 0x3A; put(c.second, 2, at: p + 19)
            b[p + 19] = 0x2E; put(Int(c.fraction), 7, at: p + 27)
            b[p + 27] = 0x5A
        }
    }

    /// Parses ISO-8601 text: `YYYY-MM-DD[(T| )hh:mm[:ss[.fffffff]]][Z|±hh[:mm]]`.
    /// Text without a zone is read as UTC. Returns `nil` for anything else.
    public init?(parsing text: String) {
        var s = text
        guard let t = s.withUTF8({ Timestamp.parse($0) }) else { return nil }
        self = t
    }

    /// Parses ISO-8601 bytes (see ``init(parsing:)``).
    package static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        if let t = parseCanonical(b) { return t }
        return parseGeneral(b)
    }

    /// The common shape `YYYY-MM-DDThh:mm:ss[.f{1,7}]Z`, read at fixed positions.
    @inline(__always)
    fileprivate static func parseCanonical(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, let inMinute = canonicalSeconds(b) else { return nil }
        @inline(__always) func d(_ i: Int) -> Int { Int(b[i]) &- 0x30 }
        var bad = false
        for i in 0..<16 where i != 4 && i != 7 && i != 10 && i != 13 && UInt(bitPattern: d(i)) > 9 { bad = true }
        if bad { return nil }
        let year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)
        let month = d(5) * 10 + d(6), day = d(8) * 10 + d(9)
        let hour = d(11) * 10 + d(12), minute = d(14) * 10 + d(15)
        guard month >= 1, month <= 12, day >= 1, day <= CivilCalendar.daysIn(year: year, month: month), hour < 24, minute < 60
        else { return nil }
        return Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, ticks: inMinute)
    }

    /// The `:ss[.f{1,7}]Z` tail of the canonical shape (from byte 16) as ticks into the minute.
    @inline(__always)
    fileprivate static func canonicalSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        guard n >= 20, b[16] == 0x3A, b[n - 1] == 0x5A else { return nil }
        let s1 = Int64(b[17]) &- 0x30, s2 = Int64(b[18]) &- 0x30
        guard UInt64(bitPattern: s1) <= 5, UInt64(bitPattern: s2) <= 9 else { return nil }
        var frac: Int64 = 0
        if n > 20 {
            guard b[19] == 0x2E, n - 21 >= 1, n - 21 <= 7 else { return nil }
            for i in 20..<(n - 1) {
                let x = Int64(b[i]) &- 0x30
                guard UInt64(bitPattern: x) <= 9 else { return nil }
                frac = frac * 10 + x
            }
            for _ in (n - 21)..<7 { frac *= 10 }
        }
        return (s1 * 10 + s2) * ticksPerSecond + frac
    }

    private static func parseGeneral(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var i = 0
        let n = b.count
        while i < n, b[i] == 0x20 { i += 1 }
        func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let d = Int(b[i + k]) - 0x30
                guard d >= 0, d <= 9 else { return nil }
                v = v * 10 + d
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
              let day = digits(2), (1...12).contains(month), day >= 1, day <= CivilCalendar.daysIn(year: year, month: month)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var frac: Int64 = 0
        var offsetMinutes = 0
        if i < n, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20 {
            i += 1
            guard let h = digits(2), expect(UInt8(ascii: ":")), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(UInt8(ascii: ":")) {
                guard let sec = digits(2), sec < 60 else { return nil }
                second = sec
                if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    var count = 0
                    while i < n, b[i] >= 0x30, b[i] <= 0x39 {
                        if count < 7 { frac = frac * 10 + Int64(b[i] - 0x30) }
                        count += 1
                        i += 1
                    }
                    guard count > 0 else { return nil }
                    for _ in Swift.min(count, 7)..<7 { frac *= 10 }
                }
            }
            if i < n, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                i += 1
            } else if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                let om = digits(2) ?? 0
                offsetMinutes = sign * (oh * 60 + om)
            }
        }
        while i < n, b[i] == 0x20 { i += 1 }
        guard i == n else { return nil }
        let t = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second, ticks: frac)
        return Timestamp(ticks: t.ticks - Int64(offsetMinutes) * 600_000_000)
    }
}

/// Parses a stream of ISO-8601 times, as ``Timestamp/parse(_:)`` does, remembering the minute of
/// the last canonical one: events of one minute share their first 16 bytes
/// (`YYYY-MM-DDThh:mm`), so only the seconds are read again.
package struct TimestampParser {
    private var prefix: (UInt64, UInt64) = (0, 0)
    private var minuteTicks: Int64 = 0
    private var known = false

    package init() {}

    @inline(__always)
    package mutating func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        guard b.count >= 20, let p = b.baseAddress else { return Timestamp.parse(b) }
        let raw = UnsafeRawPointer(p)
        let key = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if known, key == prefix, let inMinute = Timestamp.canonicalSeconds(b) { return Timestamp(ticks: minuteTicks + inMinute) }
        guard let t = Timestamp.parseCanonical(b), let inMinute = Timestamp.canonicalSeconds(b) else { return Timestamp.parse(b) }
        prefix = key
        minuteTicks = t.ticks - inMinute
        known = true
        return t
    }
}

/// Civil UTC fields of a ``Timestamp``.
package struct CivilComponents: Hashable, Sendable {
    package var year, month, day, hour, minute, second: Int
    /// Sub-second part in 100-ns ticks.
    package var fraction: Int64
}

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01).
package enum CivilCalendar {
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        // Normalize month overflow first so DATETIMEFROMPARTS-style roll-over works.
        var y = year + (month - 1).floorDiv(12)
        let m = (month - 1).floorMod(12) + 1
        y -= m <= 2 ? 1 : 0
        let era = y.floorDiv(400)
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    package static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = z.floorDiv(146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    package static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    package static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Day of week with Sunday = 1 ... Saturday = 7 (T-SQL's us_english DATEFIRST 7).
    package static func weekday(days: Int) -> Int { (days + 4).floorMod(7) + 1 }
}

extension BinaryInteger {
    /// Division rounding toward negative infinity.
    @inlinable package func floorDiv(_ d: Self) -> Self {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }

    /// The remainder of ``floorDiv(_:)``, with the sign of `d`.
    @inlinable package func floorMod(_ d: Self) -> Self { self - floorDiv(d) * d }
}

extension Int64 {
    /// Addition that clamps at the bounds instead of trapping; timestamps use it near ±infinity.
    @inlinable package func addingSaturating(_ other: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(other)
        return o ? (other > 0 ? .max : .min) : r
    }
}
