import Planner

/// Built-in scalar functions over argument closures. NULL arguments give NULL unless the function
/// documents otherwise (CONCAT, CONCAT_WS, COALESCE, GetType).
enum ScalarFunctions {
    static func compile(_ f: ScalarFunction, _ args: [CompiledExpr]) -> CompiledExpr {
        switch f {
        case .concat:
            return { row throws(EvalError) in
                var s = ""
                for a in args { s += Conversions.string(try a(row)) ?? "" }
                return .string(s)
            }
        case .concatWS:
            return { row throws(EvalError) in
                guard let sep = Conversions.string(try args[0](row)) else { return .null }
                var parts: [String] = []
                for a in args.dropFirst() { if let s = Conversions.string(try a(row)) { parts.append(s) } }
                return .string(parts.joined(separator: sep))
            }
        case .coalesce:
            return { row throws(EvalError) in
                for a in args {
                    let v = try a(row)
                    if !v.isNull { return v }
                }
                return .null
            }
        case .getType:
            return { row throws(EvalError) in
                let v = try args[0](row)
                return v.isNull ? .null : .string(v.typeName)
            }
        case .nullIf:
            return { row throws(EvalError) in
                let a = try args[0](row)
                return try Comparison.compare(a, try args[1](row)) == 0 ? .null : a
            }
        default:
            let body = strict(f)
            switch args.count {
            case 1:
                let a0 = args[0]
                return { row throws(EvalError) in
                    let v = try a0(row)
                    return v.isNull ? .null : try body([v])
                }
            default:
                return { row throws(EvalError) in
                    var values: [Value] = []
                    values.reserveCapacity(args.count)
                    for a in args {
                        let v = try a(row)
                        if v.isNull { return .null }
                        values.append(v)
                    }
                    return try body(values)
                }
            }
        }
    }

    /// Functions whose result is NULL whenever an argument is NULL; `body` sees no NULLs.
    static func strict(_ f: ScalarFunction) -> ([Value]) throws(EvalError) -> Value {
        switch f {
        case .len, .upper, .lower, .substring, .charIndex, .patIndex, .replace, .ltrim, .rtrim, .trim, .left, .right,
             .reverse, .replicate, .stuff, .translate, .nchar, .unicode, .space, .regexMatch:
            return StringFunctions.body(f)
        case .abs, .round, .floor, .ceiling, .power, .sqrt, .square, .log, .log10, .exp, .sign:
            return MathFunctions.body(f)
        case .dateAdd, .dateDiff, .datePart, .dateName, .day, .month, .year, .dateTimeFromParts:
            return DateFunctions.body(f)
        case .getRecordPropertyValue:
            return { v throws(EvalError) in
                guard case .record(let r) = v[0] else { throw EvalError("GetRecordPropertyValue needs a record, not \(v[0].typeName)") }
                guard let name = Conversions.string(v[1]) else { return .null }
                return r[name] ?? .null
            }
        case .getArrayElement:
            return { v throws(EvalError) in
                guard case .array(let a) = v[0] else { throw EvalError("GetArrayElement needs an array, not \(v[0].typeName)") }
                guard let i = try Conversions.int64(v[1]), i >= 0, i < a.count else { return .null }
                return a[Int(i)]
            }
        case .getArrayLength:
            return { v throws(EvalError) in
                guard case .array(let a) = v[0] else { throw EvalError("GetArrayLength needs an array, not \(v[0].typeName)") }
                return .bigint(Int64(a.count))
            }
        case .createPoint, .createLineString, .createPolygon, .stDistance, .stWithin, .stIntersects, .stOverlaps:
            return GeoFunctions.body(f)
        case .concat, .concatWS, .coalesce, .getType, .nullIf:
            preconditionFailure("non-strict function \(f) compiled as strict")
        }
    }
}

extension Value {
    /// The text of a string argument, converting numbers and datetimes as CAST to nvarchar does.
    @inline(__always)
    func text() throws(EvalError) -> String {
        if case .string(let s) = self { return s }
        guard let s = Conversions.string(self) else { throw EvalError("expected text, found NULL") }
        return s
    }

    @inline(__always)
    func integer() throws(EvalError) -> Int64 {
        guard let i = try Conversions.int64(self) else { throw EvalError("expected a number, found NULL") }
        return i
    }
}
