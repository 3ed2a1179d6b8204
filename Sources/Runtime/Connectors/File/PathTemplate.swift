#if canImport(Glibc)
import Glibc
#endif
import Planner

/// A path with time tokens, rendered for an event time (UTC).
struct PathTemplate {
    private enum Part {
        case literal(String)
        case time(String)
    }
    private let parts: [Part]
    /// The finest unit the path names: each partition spans one of it.
    private let unit: Unit
    enum Unit: Int { case whole, year, month, day, hour, minute }

    /// The path has no time tokens: the whole output is one partition.
    var isWhole: Bool { unit == .whole }

    init(_ o: PartitionedFileOptions) {
        var parts: [Part] = []
        var rest = Substring(o.path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            let token = rest[rest.index(after: open)..<close]
            switch token {
            case "date": parts.append(.time(o.dateFormat))
            case "time": parts.append(.time(o.timeFormat))
            default: parts.append(.time(String(token.dropFirst("datetime:".count))))
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        let formats = parts.compactMap { if case .time(let f) = $0 { f } else { nil } }.joined()
        unit = !parts.contains(where: { if case .time = $0 { true } else { false } }) ? .whole
            : formats.contains("mm") ? .minute : formats.contains("HH") ? .hour : formats.contains("dd") ? .day
            : formats.contains("MM") ? .month : .year
    }

    func render(_ t: Int64) -> String {
        let c = Timestamp(ticks: t).components
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .time(let f):
                out += f.replacingOccurrences(of: "yyyy", with: pad(c.year, 4)).replacingOccurrences(of: "MM", with: pad(c.month, 2))
                    .replacingOccurrences(of: "dd", with: pad(c.day, 2)).replacingOccurrences(of: "HH", with: pad(c.hour, 2))
                    .replacingOccurrences(of: "mm", with: pad(c.minute, 2))
            }
        }
        return out
    }

    /// The partition holding `t`: `[start, end)`.
    func partition(of t: Int64) -> (start: Int64, end: Int64) {
        let c = Timestamp(ticks: t).components
        let start: Timestamp, end: Timestamp
        switch unit {
        case .whole: return (.min, .max)
        case .year: (start, end) = (Timestamp(year: c.year, month: 1, day: 1), Timestamp(year: c.year + 1, month: 1, day: 1))
        case .month: (start, end) = (Timestamp(year: c.year, month: c.month, day: 1), Timestamp(year: c.year, month: c.month + 1, day: 1))
        case .day: (start, end) = (Timestamp(year: c.year, month: c.month, day: c.day), Timestamp(year: c.year, month: c.month, day: c.day + 1))
        case .hour:
            start = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour)
            end = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour + 1)
        case .minute:
            start = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour, minute: c.minute)
            end = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour, minute: c.minute + 1)
        }
        return (start.ticks, end.ticks)
    }
}
