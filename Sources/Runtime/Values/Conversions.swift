import Planner

/// ASA's implicit and explicit conversions between value types.
package enum Conversions {
    /// Converts to float: numbers and bits directly, strings by parsing. NULL stays NULL (returns nil).
    @inline(__always)
    package static func double(_ v: Value) throws(EvalError) -> Double? {
        switch v {
        case .float(let d): return d
        case .bigint(let i): return Double(i)
        case .null: return nil
        case .bit(let b): return b ? 1 : 0
        case .string(let s):
            if let d = parseDouble(s) { return d }
            throw .conversion(v, to: "float")
        default: throw .conversion(v, to: "float")
        }
    }

    /// Converts to bigint: floats truncate toward zero, strings parse (integer or decimal text).
    package static func int64(_ v: Value) throws(EvalError) -> Int64? {
        switch v {
        case .bigint(let i): return i
        case .null: return nil
        case .bit(let b): return b ? 1 : 0
        case .float(let d):
            guard let i = exactInt64(d) else { throw .conversion(v, to: "bigint") }
            return i
        case .string(let s):
            let t = s.trimmingASCIIWhitespace()
            if let i = Int64(t) { return i }
            if let d = parseDouble(t), let i = exactInt64(d) { return i }
            throw .conversion(v, to: "bigint")
        default: throw .conversion(v, to: "bigint")
        }
    }

    /// A float truncated toward zero, when the result is a bigint (NaN, infinities and values
    /// beyond ±2^63 are not).
    @inline(__always)
    package static func exactInt64(_ d: Double) -> Int64? {
        let t = d.rounded(.towardZero)
        guard t >= -9_223_372_036_854_775_808.0, t < 9_223_372_036_854_775_808.0 else { return nil }
        return Int64(t)
    }

    /// Converts to datetime: datetimes directly, strings as ISO-8601.
    @inline(__always)
    package static func timestamp(_ v: Value) throws(EvalError) -> Timestamp? {
        switch v {
        case .datetime(let t): return t
        case .null: return nil
        case .string(let s):
            if let t = Timestamp(parsing: s) { return t }
            throw .conversion(v, to: "datetime")
        default: throw .conversion(v, to: "datetime")
        }
    }

    /// Converts to bit: numbers are 1 unless zero; strings 'true'/'false'/'1'/'0'.
    package static func bool(_ v: Value) throws(EvalError) -> Bool? {
        switch v {
        case .bit(let b): return b
        case .null: return nil
        case .bigint(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s):
            switch s.trimmingASCIIWhitespace().lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: throw .conversion(v, to: "bit")
            }
        default: throw .conversion(v, to: "bit")
        }
    }

    /// Converts to text as `CAST(x AS nvarchar(max))` does.
    package static func string(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s
        case .bigint(let i): return String(i)
        case .float(let d): return formatFloat(d)
        case .bit(let b): return b ? "1" : "0"
        case .datetime(let t): return t.iso8601
        case .record, .array:
            var out: [UInt8] = []
            JSONWriter.append(v, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Text for a float: integral values without a fraction (`3`), others in shortest round-trip form.
    package static func formatFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    /// `CAST(v AS type)`; `TRY_CAST` maps a thrown error to NULL.
    package static func cast(_ v: Value, to type: DataType) throws(EvalError) -> Value {
        if case .null = v { return .null }
        switch type {
        case .any: return v
        case .bigint: return try int64(v).map(Value.bigint) ?? .null
        case .float:
            if case .string(let s) = v, s.lowercased().contains("nan") || s.lowercased().contains("inf") {
                throw .conversion(v, to: "float")
            }
            return try double(v).map(Value.float) ?? .null
        case .nvarchar: return string(v).map(Value.string) ?? .null
        case .datetime: return try timestamp(v).map(Value.datetime) ?? .null
        case .bit: return try bool(v).map(Value.bit) ?? .null
        case .record:
            if case .record = v { return v }
            throw .conversion(v, to: "record")
        case .array:
            if case .array = v { return v }
            throw .conversion(v, to: "array")
        }
    }

    /// Parses a decimal number; accepts surrounding ASCII whitespace.
    package static func parseDouble(_ s: String) -> Double? {
        let t = s.trimmingASCIIWhitespace()
        guard !t.isEmpty else { return nil }
        if let d = Double(t) { return d }
        return nil
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let u = utf8
        guard let first = u.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return "" }
        let last = u.lastIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) ?? first
        if first == u.startIndex && last == u.index(before: u.endIndex) { return self }
        return String(self[first...last])
    }
}
