import Planner

/// Date and time functions on UTC datetimes. Weeks start on Sunday (T-SQL's us_english defaults).
enum DateFunctions {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static let all: [BuiltinFunction] = [
        BuiltinFunction("DATEADD", FunctionSignature(arity: 3...3, datePart: true, arguments: [.number, .datetime]),
                        returns: Returns.fixed(.datetime), doc: "the datetime moved by n date parts",
                        prepare: { site throws(EvalError) in
                            let part = site.datePart ?? .day
                            return .eager { v throws(EvalError) in .datetime(try add(part, try v[0].integer(), to: try time(v[1]))) }
                        }),
        BuiltinFunction("DATEDIFF", FunctionSignature(arity: 3...3, datePart: true, arguments: [.eventTime]), returns: Returns.fixed(.bigint),
                        doc: "the number of date-part boundaries crossed from the first datetime to the second",
                        prepare: { site throws(EvalError) in
                            let part = site.datePart ?? .day
                            return .eager { v throws(EvalError) in .bigint(try diff(part, try time(v[0]), try time(v[1]))) }
                        }),
        BuiltinFunction("DATEPART", FunctionSignature(arity: 2...2, datePart: true, arguments: [.datetime]), returns: Returns.fixed(.bigint),
                        doc: "one date part of a datetime, as a number",
                        prepare: { site throws(EvalError) in
                            let part = site.datePart ?? .day
                            return .eager { v throws(EvalError) in .bigint(datePart(part, try time(v[0]))) }
                        }),
        BuiltinFunction("DATENAME", FunctionSignature(arity: 2...2, datePart: true, arguments: [.datetime]), returns: Returns.fixed(.nvarchar),
                        doc: "one date part of a datetime, as text (month and weekday names in English)",
                        prepare: { site throws(EvalError) in
                            let part = site.datePart ?? .day
                            return .eager { v throws(EvalError) in
                                let t = try time(v[0])
                                switch part {
                                case .month: return .string(monthNames[t.components.month - 1])
                                case .weekday: return .string(dayNames[Int(datePart(.weekday, t)) - 1])
                                default: return .string(String(datePart(part, t)))
                                }
                            }
                        }),
        BuiltinFunction("DAY", .args(.datetime), returns: Returns.fixed(.bigint), doc: "the day of the month") { v throws(EvalError) in
            .bigint(Int64(try time(v[0]).components.day))
        },
        BuiltinFunction("MONTH", .args(.datetime), returns: Returns.fixed(.bigint), doc: "the month, 1 to 12") { v throws(EvalError) in
            .bigint(Int64(try time(v[0]).components.month))
        },
        BuiltinFunction("YEAR", .args(.datetime), returns: Returns.fixed(.bigint), doc: "the year") { v throws(EvalError) in
            .bigint(Int64(try time(v[0]).components.year))
        },
        BuiltinFunction("DATETIMEFROMPARTS", .args(.number, .number, .number, .number, .number, .number, .number), returns: Returns.fixed(.datetime),
                        doc: "the datetime of year, month, day, hour, minute, seconds and milliseconds") { v throws(EvalError) in
            var p: [Int] = []
            for x in v { p.append(Int(try x.integer())) }
            guard (1...9999).contains(p[0]), p[1] >= 1, p[1] <= 12, p[2] >= 1, p[2] <= CivilCalendar.daysIn(year: p[0], month: p[1]) else {
                throw EvalError("DATETIMEFROMPARTS got an invalid date \(p[0])-\(p[1])-\(p[2])")
            }
            guard p[3...5].allSatisfy({ (-1_000_000...1_000_000).contains($0) }), (-1_000_000_000...1_000_000_000).contains(p[6]) else {
                throw EvalError("DATETIMEFROMPARTS got a time field out of range")
            }
            // Time fields roll over into the next unit, as ASA's own example relies on.
            let t = Timestamp(year: p[0], month: p[1], day: p[2], hour: p[3], minute: p[4], second: p[5], ticks: Int64(p[6]) * 10_000)
            guard Timestamp.representable.contains(t.ticks) else { throw EvalError("DATETIMEFROMPARTS gives a datetime outside years 0001-9999") }
            return .datetime(t)
        },
    ]

    @inline(__always)
    static func time(_ v: Value) throws(EvalError) -> Timestamp {
        guard let t = try Conversions.timestamp(v) else { throw EvalError("expected a datetime, found NULL") }
        return t
    }

    static func add(_ part: DatePart, _ n: Int64, to t: Timestamp) throws(EvalError) -> Timestamp {
        let overflow = EvalError("DATEADD(\(part.rawValue), \(n), ...) is outside years 0001-9999")
        switch part {
        case .year, .quarter, .month:
            let (months, o) = n.multipliedReportingOverflow(by: part == .year ? 12 : part == .quarter ? 3 : 1)
            let c = t.components
            let (total, o2) = (Int64(c.year) * 12 + Int64(c.month - 1)).addingReportingOverflow(months)
            guard !o, !o2, (12...(10_000 * 12 - 1)).contains(total) else { throw overflow }
            let y = Int(total.floorDiv(12)), m = Int(total.floorMod(12)) + 1
            let d = min(c.day, CivilCalendar.daysIn(year: y, month: m))
            let inDay = t.ticks.floorMod(Timestamp.ticksPerDay)
            return Timestamp(ticks: Timestamp(year: y, month: m, day: d).ticks + inDay)
        case .nanosecond:
            // A datetime holds 100 ns ticks: as T-SQL's datetime2 does, 49 ns add nothing, 50 add one tick.
            let (q, r) = n.quotientAndRemainder(dividingBy: 100)
            let (ticks, o) = t.ticks.addingReportingOverflow(q + (r >= 50 ? 1 : r <= -50 ? -1 : 0))
            guard !o, Timestamp.representable.contains(ticks) else { throw overflow }
            return Timestamp(ticks: ticks)
        default:
            let unit = part.fixedTicks ?? 1
            let (delta, o1) = n.multipliedReportingOverflow(by: unit)
            let (r, o2) = t.ticks.addingReportingOverflow(delta)
            guard !o1, !o2, Timestamp.representable.contains(r) else { throw overflow }
            return Timestamp(ticks: r)
        }
    }

    /// The number of `part` boundaries crossed going from `a` to `b` (T-SQL's DATEDIFF). Only
    /// nanoseconds can overflow a bigint (past 292 years), which T-SQL reports as an error too.
    static func diff(_ part: DatePart, _ a: Timestamp, _ b: Timestamp) throws(EvalError) -> Int64 {
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
            let (r, o) = (b.ticks - a.ticks).multipliedReportingOverflow(by: 100)
            if o { throw EvalError("DATEDIFF(nanosecond, ...) overflows a bigint") }
            return r
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
        case .dayofyear: return Int64(days - CivilCalendar.daysFromCivil(year: c.year, month: 1, day: 1) + 1)
        case .day: return Int64(c.day)
        case .week:
            let jan1 = CivilCalendar.daysFromCivil(year: c.year, month: 1, day: 1)
            let doy = days - jan1
            return Int64((doy + CivilCalendar.weekday(days: jan1) - 1) / 7 + 1)
        case .weekday: return Int64(CivilCalendar.weekday(days: days))
        case .hour: return Int64(c.hour)
        case .minute: return Int64(c.minute)
        case .second: return Int64(c.second)
        case .millisecond: return c.fraction / 10_000
        case .microsecond: return c.fraction / 10
        case .nanosecond: return c.fraction * 100
        }
    }
}
