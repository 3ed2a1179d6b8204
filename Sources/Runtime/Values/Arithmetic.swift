import Planner

/// Arithmetic and bitwise operators with ASA's type rules: bigint op bigint is bigint, anything
/// with a float is float, `+` on two strings concatenates, a string meeting a number is converted.
package enum Arithmetic {
    @inline(__always)
    package static func apply(_ op: BoundBinaryOperator, _ a: Value, _ b: Value) throws(EvalError) -> Value {
        if case .null = a { return .null }
        if case .null = b { return .null }
        switch op {
        case .bitAnd, .bitOr, .bitXor: return try bitwise(op, a, b)
        default: break
        }
        switch (a, b) {
        case let (.bigint(x), .bigint(y)): return try integer(op, x, y)
        case let (.float(x), .float(y)): return try float(op, x, y)
        case let (.bigint(x), .float(y)): return try float(op, Double(x), y)
        case let (.float(x), .bigint(y)): return try float(op, x, Double(y))
        case let (.string(x), .string(y)) where op == .add: return .string(x + y)
        default:
            // bits and numeric strings: promote to the wider numeric type of the two
            if isIntegral(a) && isIntegral(b), let x = try Conversions.int64(a), let y = try Conversions.int64(b) {
                return try integer(op, x, y)
            }
            guard let x = try Conversions.double(a), let y = try Conversions.double(b) else { return .null }
            return try float(op, x, y)
        }
    }

    @inline(__always) private static func isIntegral(_ v: Value) -> Bool {
        switch v {
        case .bigint, .bit: return true
        case .string(let s): return Int64(s.trimmingASCIIWhitespace()) != nil
        default: return false
        }
    }

    @inline(__always)
    static func integer(_ op: BoundBinaryOperator, _ x: Int64, _ y: Int64) throws(EvalError) -> Value {
        let r: (Int64, Bool)
        switch op {
        case .add: r = x.addingReportingOverflow(y)
        case .subtract: r = x.subtractingReportingOverflow(y)
        case .multiply: r = x.multipliedReportingOverflow(by: y)
        case .divide:
            guard y != 0 else { throw EvalError("division by zero") }
            r = x.dividedReportingOverflow(by: y)
        case .modulo:
            guard y != 0 else { throw EvalError("division by zero") }
            r = x.remainderReportingOverflow(dividingBy: y)
        default: throw EvalError("operator \(op.rawValue) is not arithmetic")
        }
        if r.1 { throw EvalError("bigint overflow in \(x) \(op.rawValue) \(y)") }
        return .bigint(r.0)
    }

    @inline(__always)
    static func float(_ op: BoundBinaryOperator, _ x: Double, _ y: Double) throws(EvalError) -> Value {
        switch op {
        case .add: return .float(x + y)
        case .subtract: return .float(x - y)
        case .multiply: return .float(x * y)
        case .divide:
            guard y != 0 else { throw EvalError("division by zero") }
            return .float(x / y)
        case .modulo:
            guard y != 0 else { throw EvalError("division by zero") }
            return .float(x.truncatingRemainder(dividingBy: y))
        default: throw EvalError("operator \(op.rawValue) is not arithmetic")
        }
    }

    /// `&`, `|`, `^`: bit op bit is bit; otherwise both sides convert to bigint.
    static func bitwise(_ op: BoundBinaryOperator, _ a: Value, _ b: Value) throws(EvalError) -> Value {
        if case .bit(let x) = a, case .bit(let y) = b {
            switch op {
            case .bitAnd: return .bit(x && y)
            case .bitOr: return .bit(x || y)
            default: return .bit(x != y)
            }
        }
        guard let x = try Conversions.int64(a), let y = try Conversions.int64(b) else { return .null }
        switch op {
        case .bitAnd: return .bigint(x & y)
        case .bitOr: return .bigint(x | y)
        default: return .bigint(x ^ y)
        }
    }

    package static func negate(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .null: return .null
        case .bigint(let i):
            guard i != .min else { throw EvalError("bigint overflow in -(\(i))") }
            return .bigint(-i)
        case .float(let d): return .float(-d)
        case .bit(let b): return .bigint(b ? -1 : 0)
        default:
            guard let d = try Conversions.double(v) else { return .null }
            return .float(-d)
        }
    }

    package static func bitwiseNot(_ v: Value) throws(EvalError) -> Value {
        switch v {
        case .null: return .null
        case .bit(let b): return .bit(!b)
        default:
            guard let i = try Conversions.int64(v) else { return .null }
            return .bigint(~i)
        }
    }
}
