import Planner

/// A join's equality key, normalized so that values SQL `=` calls equal also hash alike: numbers
/// by value (bigint, float and bit), strings ignoring ASCII case (and Unicode case beyond ASCII),
/// datetimes by instant. Values of different families never match (ASA: "1.0 and '1' may not
/// match; cast explicitly"). A NULL in any key part means the row joins with nothing.
enum JoinKey: Hashable {
    case one(Part)
    case many([Part])

    enum Part: Hashable {
        case integer(Int64)
        case float(Double)
        case text(String)
        case time(Int64)
        case other(Value)

        /// `nil` for NULL.
        init?(_ v: Value) {
            switch v {
            case .null: return nil
            case .bigint(let i): self = .integer(i)
            case .bit(let b): self = .integer(b ? 1 : 0)
            case .float(let d):
                if d.isNaN { return nil }
                // Integral floats meet bigints of the same value.
                if d == d.rounded(.towardZero), abs(d) < 9.2e18 { self = .integer(Int64(d)) } else { self = .float(d) }
            case .string(let s): self = .text(Self.fold(s))
            case .datetime(let t): self = .time(t.ticks)
            case .record, .array: self = .other(v)
            }
        }

        /// Lower-cases ASCII letters; returns `s` itself (no copy) when it has none.
        static func fold(_ s: String) -> String {
            var needsWork = false
            for b in s.utf8 where b >= 0x41 && b <= 0x5A || b >= 0x80 {
                needsWork = true
                break
            }
            return needsWork ? s.lowercased() : s
        }
    }

    /// The key of a row, or `nil` when a part is NULL.
    static func of(_ row: RowRef, _ exprs: [CompiledExpr]) throws(EvalError) -> JoinKey? {
        if exprs.count == 1 { return try Part(exprs[0](row)).map { .one($0) } }
        var parts: [Part] = []
        parts.reserveCapacity(exprs.count)
        for e in exprs {
            guard let p = try Part(e(row)) else { return nil }
            parts.append(p)
        }
        return .many(parts)
    }
}
