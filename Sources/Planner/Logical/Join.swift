/// `{CROSS | OUTER} APPLY GetArrayElements(expr) | GetRecordProperties(expr) AS alias`.
package struct ApplyOperation: Hashable, Sendable, Encodable {
    package enum Function: String, Hashable, Sendable, Encodable {
        /// One row per element: `ArrayIndex`, `ArrayValue`.
        case arrayElements = "GetArrayElements"
        /// One row per property: `PropertyName`, `PropertyValue`.
        case recordProperties = "GetRecordProperties"

        package var columns: [String] {
            self == .arrayElements ? ["ArrayIndex", "ArrayValue"] : ["PropertyName", "PropertyValue"]
        }
    }

    /// OUTER keeps rows whose function yields nothing, with NULLs; CROSS drops them.
    package var outer: Bool
    package var function: Function
    package var argument: BoundExpr
    /// The name its two columns are read through (`alias.ArrayValue`).
    package var alias: String

    package init(outer: Bool, function: Function, argument: BoundExpr, alias: String) {
        self.outer = outer
        self.function = function
        self.argument = argument
        self.alias = alias
    }
}

/// A join's matching rules. Output rows are the left row's columns followed by the right row's.
package struct JoinOperation: Hashable, Sendable, Encodable {
    package enum Kind: String, Hashable, Sendable, Encodable { case inner = "inner", left = "left outer" }

    package var kind: Kind
    /// Columns of a left row; the right row's columns follow in the joined row.
    package var leftWidth: Int
    /// Equality keys: `leftKeys[i]` over left rows equals `rightKeys[i]` over right rows (hash lookup).
    package var leftKeys: [BoundExpr]
    package var rightKeys: [BoundExpr]
    /// Every other ON condition, over the combined row.
    package var residual: BoundExpr?
    /// The time bound of a stream-stream join, checked by the join itself; `nil` for reference data.
    package var time: JoinTimeBound?

    package init(kind: Kind, leftWidth: Int, leftKeys: [BoundExpr], rightKeys: [BoundExpr], residual: BoundExpr?, time: JoinTimeBound?) {
        self.kind = kind
        self.leftWidth = leftWidth
        self.leftKeys = leftKeys
        self.rightKeys = rightKeys
        self.residual = residual
        self.time = time
    }
}

/// `DATEDIFF(unit, left, right) BETWEEN low AND high`, normalized to left-to-right. A pair matches
/// only within it (DATEDIFF counts unit boundaries crossed, as everywhere); it also bounds how long
/// each side's rows are kept (one unit wider on each side, for the boundary counting) and when an
/// unmatched left row is final.
package struct JoinTimeBound: Hashable, Sendable, Encodable {
    package var unit: DatePart
    package var low: Int64
    package var high: Int64
    /// The column of the left row holding the event time of the left source the bound names.
    package var leftTimeColumn: Int
    /// The column of the right row holding its event time.
    package var rightTimeColumn: Int
    /// How far a left row's own time may run ahead of the time of the left source the bound names
    /// (earlier joins in a chain); 0 for a two-way join.
    package var leftSlack: TimeSpan

    package init(unit: DatePart, low: Int64, high: Int64, leftTimeColumn: Int, rightTimeColumn: Int, leftSlack: TimeSpan) {
        self.unit = unit
        self.low = low
        self.high = high
        self.leftTimeColumn = leftTimeColumn
        self.rightTimeColumn = rightTimeColumn
        self.leftSlack = leftSlack
    }

    /// The bound's unit in ticks.
    package var unitTicks: Int64 { unit.fixedTicks ?? 1 }
    /// The bound in counts of `unitTicks`. DATEDIFF(nanosecond) is the tick difference times 100
    /// (a datetime holds 100 ns ticks), so `low...high` nanoseconds are `ceil(low/100)...floor(high/100)` ticks.
    private var unitLow: Int64 { unit == .nanosecond ? -(-low).floorDiv(100) : low }
    private var unitHigh: Int64 { unit == .nanosecond ? high.floorDiv(100) : high }
    /// Right times that can still match a left row at `t` are below `t + maxAhead`.
    package var maxAhead: Int64 { (unitHigh + 1) * unitTicks }
    /// ... and above `t + minBehind` (negative when the right side may lag).
    package var minBehind: Int64 { (unitLow - 1) * unitTicks }
    /// An unmatched left row at `t` is emitted at `t + high units` (the latest time a match could come).
    package var unmatchedDelay: Int64 { unitHigh * unitTicks }

    /// Whether a left time and a right time are within the bound.
    @inline(__always)
    package func contains(left: Int64, right: Int64) -> Bool {
        let d = right.floorDiv(unitTicks) - left.floorDiv(unitTicks)
        return d >= unitLow && d <= unitHigh
    }
}
