import Planner

/// Functions on NULLs, types, records and arrays, and string concatenation (which treats NULL as
/// empty text rather than giving NULL).
enum GeneralFunctions {
    static let all: [BuiltinFunction] = [
        BuiltinFunction("CONCAT", FunctionSignature(arity: 1...254, arguments: [.scalar], nulls: .passThrough), returns: Returns.fixed(.nvarchar),
                        doc: "the arguments' text joined; NULL counts as empty text") { v throws(EvalError) in
            var s = ""
            for a in v { s += Conversions.string(a) ?? "" }
            return .string(s)
        },
        BuiltinFunction("CONCAT_WS", FunctionSignature(arity: 2...254, arguments: [.scalar], nulls: .passThrough),
                        returns: Returns.fixed(.nvarchar), doc: "the arguments after the first joined by the first; NULLs are skipped") { v throws(EvalError) in
            guard let sep = Conversions.string(v[0]) else { return .null }
            return .string(v.dropFirst().compactMap(Conversions.string).joined(separator: sep))
        },
        BuiltinFunction("COALESCE", FunctionSignature(arity: 1...254, arguments: [.value], nulls: .passThrough),
                        returns: { args in
                            let known = args.map(\.type).filter { $0 != .any }
                            return known.count == args.count && Set(known).count == 1 ? known[0] : .any
                        }, doc: "the first argument that is not NULL; later arguments are not evaluated",
                        prepare: { _ throws(EvalError) in
                            .lazy { count, argument throws(EvalError) in
                                for i in 0..<count {
                                    let v = try argument(i)
                                    if !v.isNull { return v }
                                }
                                return .null
                            }
                        }),
        BuiltinFunction("NULLIF", FunctionSignature(arity: 2...2, arguments: [.value], nulls: .passThrough), returns: Returns.sameAsFirst,
                        doc: "NULL when the arguments are equal, else the first") { v throws(EvalError) in
            try Comparison.compare(v[0], v[1]) == 0 ? .null : v[0]
        },
        BuiltinFunction("GETTYPE", FunctionSignature(arity: 1...1, arguments: [.value], nulls: .passThrough), returns: Returns.fixed(.nvarchar),
                        doc: "the value's type name (bigint, float, nvarchar(max), datetime, bit, record, array); NULL for NULL") { v throws(EvalError) in
            v[0].isNull ? .null : .string(v[0].typeName)
        },
        BuiltinFunction("JSON_PARSE", .args(.scalar), returns: Returns.fixed(.anyRecord),
                        doc: "the record of a JSON object held as text; NULL for NULL, invalid JSON, or JSON that is not an object") { v throws(EvalError) in
            guard case .string(let text) = v[0], let record = JSONCursor.parseObject(text) else { return .null }
            return .record(record)
        },
        BuiltinFunction("GETRECORDPROPERTYVALUE", .args(.value, .value),
                        returns: { args in
                            if args.count == 2, case .literal(.string(let field)) = args[1].kind, let known = args[0].type.fieldType(field) { return known }
                            return .any
                        }, doc: "a record's field by name (NULL when absent)") { v throws(EvalError) in
            guard case .record(let r) = v[0] else { throw EvalError("GetRecordPropertyValue needs a record, not \(v[0].typeName)") }
            guard let name = Conversions.string(v[1]) else { return .null }
            return r[name] ?? .null
        },
        BuiltinFunction("GETARRAYELEMENT", .args(.value, .value), returns: Returns.fixed(.any),
                        doc: "an array's element at a 0-based index (NULL when out of range)") { v throws(EvalError) in
            guard case .array(let a) = v[0] else { throw EvalError("GetArrayElement needs an array, not \(v[0].typeName)") }
            guard let i = try Conversions.int64(v[1]), i >= 0, i < a.count else { return .null }
            return a[Int(i)]
        },
        BuiltinFunction("GETARRAYLENGTH", .args(.value), returns: Returns.fixed(.bigint), doc: "an array's length") { v throws(EvalError) in
            guard case .array(let a) = v[0] else { throw EvalError("GetArrayLength needs an array, not \(v[0].typeName)") }
            return .bigint(Int64(a.count))
        },
    ]
}
