/// The built-in scalar functions. Date functions carry their date part, fixed at bind time.
public enum ScalarFunction: Hashable, Sendable {
    // string
    case len, upper, lower, substring, concat, concatWS, charIndex, patIndex, replace
    case ltrim, rtrim, trim, left, right, reverse, replicate, stuff, translate, nchar, unicode, space, regexMatch
    // math
    case abs, round, floor, ceiling, power, sqrt, square, log, log10, exp, sign
    // date and time
    case dateAdd(DatePart), dateDiff(DatePart), datePart(DatePart), dateName(DatePart)
    case day, month, year, dateTimeFromParts
    // other
    case coalesce, nullIf, getType
    // records and arrays
    case getRecordPropertyValue, getArrayElement, getArrayLength
    // geospatial
    case createPoint, createLineString, createPolygon, stDistance, stWithin, stIntersects, stOverlaps

    /// The name as ASA spells it, for EXPLAIN and diagnostics.
    public var name: String {
        switch self {
        case .dateAdd: return "DATEADD"
        case .dateDiff: return "DATEDIFF"
        case .datePart: return "DATEPART"
        case .dateName: return "DATENAME"
        default:
            return ScalarFunction.catalog.first { $0.value.function == self }?.key ?? "\(self)"
        }
    }

    /// A signature: argument count bounds and the result type given the argument types.
    public struct Signature: Sendable {
        public var function: ScalarFunction
        public var minArgs: Int
        public var maxArgs: Int
        /// Whether the first argument is a date part name (`minute` in DATEADD).
        public var takesDatePart: Bool
        public var result: @Sendable ([DataType]) -> DataType
    }

    private static func sig(_ f: ScalarFunction, _ lo: Int, _ hi: Int, datePart: Bool = false,
                            _ result: @escaping @Sendable ([DataType]) -> DataType) -> Signature {
        Signature(function: f, minArgs: lo, maxArgs: hi, takesDatePart: datePart, result: result)
    }

    private static func fixed(_ t: DataType) -> @Sendable ([DataType]) -> DataType { { _ in t } }
    private static let sameAsFirst: @Sendable ([DataType]) -> DataType = { $0.first ?? .any }
    private static let numericFirst: @Sendable ([DataType]) -> DataType = {
        let t = $0.first ?? .any
        return t == .bigint || t == .float ? t : .any
    }

    /// Functions by upper-case name.
    public static let catalog: [String: Signature] = {
        var c: [String: Signature] = [:]
        let s = DataType.nvarchar, b = DataType.bigint, f = DataType.float
        for (name, sg) in [
            ("LEN", sig(.len, 1, 1, fixed(b))), ("UPPER", sig(.upper, 1, 1, fixed(s))), ("LOWER", sig(.lower, 1, 1, fixed(s))),
            ("SUBSTRING", sig(.substring, 3, 3, fixed(s))), ("CONCAT", sig(.concat, 1, 254, fixed(s))),
            ("CONCAT_WS", sig(.concatWS, 2, 254, fixed(s))), ("CHARINDEX", sig(.charIndex, 2, 3, fixed(b))),
            ("PATINDEX", sig(.patIndex, 2, 2, fixed(b))), ("REPLACE", sig(.replace, 3, 3, fixed(s))),
            ("LTRIM", sig(.ltrim, 1, 1, fixed(s))), ("RTRIM", sig(.rtrim, 1, 1, fixed(s))), ("TRIM", sig(.trim, 1, 1, fixed(s))),
            ("LEFT", sig(.left, 2, 2, fixed(s))), ("RIGHT", sig(.right, 2, 2, fixed(s))), ("REVERSE", sig(.reverse, 1, 1, fixed(s))),
            ("REPLICATE", sig(.replicate, 2, 2, fixed(s))), ("STUFF", sig(.stuff, 4, 4, fixed(s))),
            ("TRANSLATE", sig(.translate, 3, 3, fixed(s))), ("NCHAR", sig(.nchar, 1, 1, fixed(s))),
            ("UNICODE", sig(.unicode, 1, 1, fixed(b))), ("SPACE", sig(.space, 1, 1, fixed(s))),
            ("REGEXMATCH", sig(.regexMatch, 2, 2, fixed(b))),
            ("ABS", sig(.abs, 1, 1, numericFirst)), ("ROUND", sig(.round, 1, 3, numericFirst)),
            ("FLOOR", sig(.floor, 1, 1, numericFirst)), ("CEILING", sig(.ceiling, 1, 1, numericFirst)),
            ("POWER", sig(.power, 2, 2, numericFirst)), ("SQRT", sig(.sqrt, 1, 1, fixed(f))),
            ("SQUARE", sig(.square, 1, 1, fixed(f))), ("LOG", sig(.log, 1, 2, fixed(f))), ("LOG10", sig(.log10, 1, 1, fixed(f))),
            ("EXP", sig(.exp, 1, 1, fixed(f))), ("SIGN", sig(.sign, 1, 1, numericFirst)),
            ("DATEADD", sig(.dateAdd(.day), 3, 3, datePart: true, fixed(.datetime))),
            ("DATEDIFF", sig(.dateDiff(.day), 3, 3, datePart: true, fixed(b))),
            ("DATEPART", sig(.datePart(.day), 2, 2, datePart: true, fixed(b))),
            ("DATENAME", sig(.dateName(.day), 2, 2, datePart: true, fixed(s))),
            ("DAY", sig(.day, 1, 1, fixed(b))), ("MONTH", sig(.month, 1, 1, fixed(b))), ("YEAR", sig(.year, 1, 1, fixed(b))),
            ("DATETIMEFROMPARTS", sig(.dateTimeFromParts, 7, 7, fixed(.datetime))),
            ("COALESCE", sig(.coalesce, 1, 254, { types in
                let known = types.filter { $0 != .any }
                return known.count == types.count && Set(known).count == 1 ? known[0] : .any })),
            ("NULLIF", sig(.nullIf, 2, 2, sameAsFirst)), ("GETTYPE", sig(.getType, 1, 1, fixed(s))),
            ("GETRECORDPROPERTYVALUE", sig(.getRecordPropertyValue, 2, 2, { types in
                types.first.flatMap { _ in nil } ?? .any })),
            ("GETARRAYELEMENT", sig(.getArrayElement, 2, 2, fixed(.any))),
            ("GETARRAYLENGTH", sig(.getArrayLength, 1, 1, fixed(b))),
            ("CREATEPOINT", sig(.createPoint, 2, 2, fixed(.anyRecord))),
            ("CREATELINESTRING", sig(.createLineString, 2, 254, fixed(.anyRecord))),
            ("CREATEPOLYGON", sig(.createPolygon, 4, 254, fixed(.anyRecord))),
            ("ST_DISTANCE", sig(.stDistance, 2, 2, fixed(f))), ("ST_WITHIN", sig(.stWithin, 2, 2, fixed(b))),
            ("ST_INTERSECTS", sig(.stIntersects, 2, 2, fixed(b))), ("ST_OVERLAPS", sig(.stOverlaps, 2, 2, fixed(b))),
        ] { c[name] = sg }
        return c
    }()
}
