import Planner

/// Date and time functions on UTC datetimes. Weeks start on Sunday (T-SQL's us_english defaults).
enum DateFunctions {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func body(_ f: ScalarFunction) -> ([Value]) throws(EvalError) -> Value {
        switch f {
        case .dateAdd(let part):
            return { v throws(EvalError) in
                let n = try v[0].integer()
                return .datetime(try add(part, n, to: try time(v[1])))
            }
        case .dateDiff(let part):
            return { v throws(EvalError) in .bigint(diff(part, try time(v[0]), try time(v[1]))) }
        case .datePart(let part):
            return { v throws(EvalError) in .bigint(datePart(part, try time(v[0]))) }
        case .dateName(let part):
            return { v throws(EvalError) in
                let t = try time(v[0])
                switch part {
                case .month: return .string(monthNames[t.components.month - 1])
                case .weekday: return .string(dayNames[Int(datePart(.weekday, t)) - 1])
                default: return .string(String(datePart(part, t)))
                }
            }
        case .day: return { v throws(EvalError) in .bigint(Int64(try time(v[0]).components.day)) }
        case .month: return { v throws(EvalError) in .bigint(Int64(try time(v[0]).components.month)) }
        case .year: return { v throws(EvalError) in .bigint(Int64(try time(v[0]).components.year)) }
        case .dateTimeFromParts:
            return { v throws(EvalError) in
                var p: [Int] = []
                for x in v { p.append(Int(try x.integer())) }
                guard p[1] >= 1, p[1] <= 12, p[2] >= 1, p[2] <= Calendar.daysIn(year: p[0], month: p[1]) else {
                    throw EvalError("DATETIMEFROMPARTS got an invalid date \(p[0])-\(p[1])-\(p[2])")
                }
                // Time fields roll over into the next unit, as ASA's own example relies on.
                return .datetime(Timestamp(year: p[0], month: p[1], day: p[2], hour: p[3], minute: p[4], second: p[5],
                                           ticks: Int64(p[6]) * 10_000))
            }
        default:
            preconditionFailure("\(f) is not a date function")
        }
    }

    @inline(__always)
    static func time(_ v: Value) throws(EvalError) -> Timestamp {
        guard let t = try Conversions.timestamp(v) else { throw EvalError("expected a datetime, found NULL") }
        return t
    }

    static func add(_ part: DatePart, _ n: Int64, to t: Timestamp) throws(EvalError) -> Timestamp {
        switch part {
        case .year, .quarter, .month:
            let months = n * (part == .year ? 12 : part == .quarter ? 3 : 1)
            let c = t.components
            let total = Int64(c.year) * 12 + Int64(c.month - 1) + months
            let y = Int(total.floorDiv(12)), m = Int(total.floorMod(12)) + 1
            let d = min(c.day, Calendar.daysIn(year: y, month: m))
            let inDay = t.ticks.floorMod(Timestamp.ticksPerDay)
            return Timestamp(ticks: Timestamp(year: y, month: m, day: d).ticks + inDay)
        default:
            let unit = part.fixedTicks ?? 1
            let (delta, o1) = n.multipliedReportingOverflow(by: unit)
            let (r, o2) = t.ticks.addingReportingOverflow(delta)
            if o1 || o2 { throw EvalError("DATEADD overflows the datetime range") }
            return Timestamp(ticks: r)
        }
    }

    /// The number of `part` boundaries crossed going from `a` to `b` (T-SQL's DATEDIFF).
    static func diff(_ part: DatePart, _ a: Timestamp, _ b: Timestamp) -> Int64 {
        switch part {
        case .year: return Int64(b.components.year - a.components.year)
        case .quarter:
            let ca = a.components, cb = b.components
            return Int64((cb.year * 4 + (cb.month - 1) / 3) - (ca.year * 4 + (ca.month - 1) / 3))
        case .month:
            let ca = a.components, cb = b.components
            return Int64((cb.year * 12 + cb.month) - (ca.year * 12 + ca.month))
        case .week:
            // Weeks start on Sunday; day 0 (1970-01-01) was a Thursday.
            let da = a.ticks.floorDiv(Timestamp.ticksPerDay), db = b.ticks.floorDiv(Timestamp.ticksPerDay)
            return (db + 4).floorDiv(7) - (da + 4).floorDiv(7)
        case .nanosecond:
            return (b.ticks &- a.ticks) &* 100
        default:
            let unit = part.fixedTicks ?? 1
            return b.ticks.floorDiv(unit) - a.ticks.floorDiv(unit)
        }
    }

    static func datePart(_ part: DatePart, _ t: Timestamp) -> Int64 {
        let c = t.components
        let days = Int(t.ticks.floorDiv(Timestamp.ticksPerDay))
        switch part {
        case .year: return Int64(c.year)
        case .quarter: return Int64((c.month - 1) / 3 + 1)
        case .month: return Int64(c.month)
        case .dayofyear: return Int64(days - Calendar.daysFromCivil(year: c.year, month: 1, day: 1) + 1)
        case .day: return Int64(c.day)
        case .week:
            let jan1 = Calendar.daysFromCivil(year: c.year, month: 1, day: 1)
            let doy = days - jan1
            return Int64((doy + Calendar.weekday(days: jan1) - 1) / 7 + 1)
        case .weekday: return Int64(Calendar.weekday(days: days))
        case .hour: return Int64(c.hour)
        case .minute: return Int64(c.minute)
        case .second: return Int64(c.second)
        case .millisecond: return c.fraction / 10_000
        case .microsecond: return c.fraction / 10
        case .nanosecond: return c.fraction * 100
        }
    }
}
