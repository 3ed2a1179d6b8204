import Planner
import Foundation

/// Mathematical functions. ABS, CEILING, FLOOR, SIGN and POWER keep the type of their first
/// argument; ROUND rounds half away from zero on the decimal value, as T-SQL does.
enum MathFunctions {
    static let all: [BuiltinFunction] = [
        BuiltinFunction("ABS", .args(.number), returns: Returns.numericFirst, doc: "the absolute value, keeping bigint") { v throws(EvalError) in
            switch v[0] {
            case .bigint(let i):
                guard i != .min else { throw EvalError("bigint overflow in ABS") }
                return .bigint(Swift.abs(i))
            default: return .float(Swift.abs(try number(v[0])))
            }
        },
        BuiltinFunction("FLOOR", .args(.number), returns: Returns.numericFirst, doc: "the largest integer not above the value") { v throws(EvalError) in
            if case .bigint = v[0] { return v[0] }
            return .float(try number(v[0]).rounded(.down))
        },
        BuiltinFunction("CEILING", .args(.number), returns: Returns.numericFirst, doc: "the smallest integer not below the value") { v throws(EvalError) in
            if case .bigint = v[0] { return v[0] }
            return .float(try number(v[0]).rounded(.up))
        },
        BuiltinFunction("SIGN", .args(.number), returns: Returns.numericFirst, doc: "-1, 0 or 1") { v throws(EvalError) in
            if case .bigint(let i) = v[0] { return .bigint(Int64(i.signum())) }
            let d = try number(v[0])
            return .float(d > 0 ? 1 : d < 0 ? -1 : 0)
        },
        BuiltinFunction("ROUND", FunctionSignature(arity: 1...3, arguments: [.number]), returns: Returns.numericFirst,
                        doc: "the value rounded half away from zero to `digits` decimals (truncated when the third argument is not 0)") { v throws(EvalError) in
            let digits = v.count > 1 ? try v[1].integer() : 0
            let truncate = v.count > 2 ? try v[2].integer() != 0 : false
            if case .bigint(let i) = v[0] { return .bigint(try roundInteger(i, digits: digits, truncate: truncate)) }
            return .float(roundDecimal(try number(v[0]), digits: digits, truncate: truncate))
        },
        BuiltinFunction("POWER", .args(.number, .number), returns: Returns.numericFirst, doc: "the first argument to the power of the second") { v throws(EvalError) in
            let r = pow(try number(v[0]), try number(v[1]))
            if case .bigint = v[0] {
                guard r.isFinite, Swift.abs(r) < 9.2e18 else { throw EvalError("bigint overflow in POWER") }
                return .bigint(Int64(r.rounded(.towardZero)))
            }
            return .float(r)
        },
        BuiltinFunction("SQRT", .args(.number), returns: Returns.fixed(.float), doc: "the square root") { v throws(EvalError) in
            let d = try number(v[0])
            guard d >= 0 else { throw EvalError("SQRT of a negative number") }
            return .float(d.squareRoot())
        },
        BuiltinFunction("SQUARE", .args(.number), returns: Returns.fixed(.float), doc: "the value times itself") { v throws(EvalError) in
            let d = try number(v[0])
            return .float(d * d)
        },
        BuiltinFunction("EXP", .args(.number), returns: Returns.fixed(.float), doc: "e to the power of the value") { v throws(EvalError) in
            .float(Foundation.exp(try number(v[0])))
        },
        BuiltinFunction("LOG10", .args(.number), returns: Returns.fixed(.float), doc: "the base-10 logarithm") { v throws(EvalError) in
            let d = try number(v[0])
            guard d > 0 else { throw EvalError("LOG10 of a number that is not positive") }
            return .float(Foundation.log10(d))
        },
        BuiltinFunction("LOG", FunctionSignature(arity: 1...2, arguments: [.number]), returns: Returns.fixed(.float),
                        doc: "the natural logarithm, or the logarithm in an optional base") { v throws(EvalError) in
            let d = try number(v[0])
            guard d > 0 else { throw EvalError("LOG of a number that is not positive") }
            if v.count > 1 {
                let base = try number(v[1])
                guard base > 0, base != 1 else { throw EvalError("LOG with an invalid base") }
                return .float(Foundation.log(d) / Foundation.log(base))
            }
            return .float(Foundation.log(d))
        },
    ]

    @inline(__always)
    static func number(_ v: Value) throws(EvalError) -> Double {
        guard let d = try Conversions.double(v) else { throw EvalError("expected a number, found NULL") }
        return d
    }

    static func roundInteger(_ i: Int64, digits: Int64, truncate: Bool) throws(EvalError) -> Int64 {
        guard digits < 0 else { return i }
        guard digits > -19 else { return 0 }
        var scale: Int64 = 1
        for _ in 0..<(-digits) { scale *= 10 }
        let q = i / scale, r = i % scale
        if truncate || Swift.abs(r) * 2 < scale { return q * scale }
        let (v, o) = (q + (i < 0 ? -1 : 1)).multipliedReportingOverflow(by: scale)
        if o { throw EvalError("bigint overflow in ROUND") }
        return v
    }

    /// Rounds the shortest decimal form of `d`, so 123.9995 rounds to 124.0 at 3 digits.
    static func roundDecimal(_ d: Double, digits: Int64, truncate: Bool) -> Double {
        guard d.isFinite, d != 0 else { return d }
        // Decompose the shortest round-trip text into digits and a decimal exponent.
        var text = String(Swift.abs(d))
        var exp10 = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp10 = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var mantissa = text.filter(\.isNumber)
        let pointPosition = (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count) + exp10
        // `pointPosition` digits of `mantissa` are before the decimal point.
        // A double has at most 17 significant digits and exponents within ±324.
        let keep = pointPosition + Int(max(-400, min(400, digits)))
        if keep >= mantissa.count { return d }
        if keep < 0 { return 0 }
        var kept = Array(mantissa.prefix(keep)).map { Int($0.asciiValue ?? 48) - 48 }
        let next = Int(mantissa[mantissa.index(mantissa.startIndex, offsetBy: keep)].asciiValue ?? 48) - 48
        var carryPosition = pointPosition
        if !truncate && next >= 5 {
            var i = kept.count - 1
            while i >= 0 {
                if kept[i] == 9 { kept[i] = 0; i -= 1 } else { kept[i] += 1; break }
            }
            if i < 0 {
                kept.insert(1, at: 0)
                carryPosition += 1
            }
        }
        mantissa = kept.map(String.init).joined()
        if mantissa.isEmpty { return 0 }
        let digitsAfter = mantissa.count - carryPosition
        let magnitude = Double("\(mantissa)e\(-digitsAfter)") ?? d
        return d < 0 ? -magnitude : magnitude
    }
}
