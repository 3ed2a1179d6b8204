import Planner

/// A compiled expression: evaluates one row.
package typealias CompiledExpr = (RowRef) throws(EvalError) -> Value
/// A compiled condition: `true`, `false`, or `nil` for unknown (SQL's three-valued logic).
package typealias CompiledPredicate = (RowRef) throws(EvalError) -> Bool?

/// Turns bound expressions into closures once, so rows are evaluated without re-interpreting the plan.
/// Constant subexpressions are folded at compile time.
package enum ExprCompiler {
    package static func compile(_ e: BoundExpr) -> CompiledExpr {
        if e.isConstant, !isVolatile(e) {
            let raw = compileNode(e)
            let dummy = [Value.null]
            let folded: Result<Value, EvalError> = dummy.withUnsafeBufferPointer { buf in
                // swiftlint:disable:next force_unwrapping
                do throws(EvalError) { return .success(try raw(RowRef(values: buf.baseAddress!, time: 0))) } catch {
                    return .failure(error)
                }
            }
            switch folded {
            case .success(let v): return { _ throws(EvalError) in v }
            case .failure: return raw
            }
        }
        return compileNode(e)
    }

    /// Expressions that must not be folded even when they read no column.
    private static func isVolatile(_ e: BoundExpr) -> Bool {
        var volatile = false
        e.visit {
            switch $0.kind {
            case .systemTimestamp: volatile = true
            case .call(let f, _) where !f.definition.isDeterministic: volatile = true
            default: break
            }
        }
        return volatile
    }

    /// A function call: the definition prepares its kernel for this call site once; a strict
    /// function gives NULL for a NULL argument without calling it.
    private static func compileCall(_ f: FunctionRef, _ arguments: [BoundExpr]) -> CompiledExpr {
        let args = arguments.map(compile)
        let constants = arguments.map { a -> Value? in if case .literal(let v) = a.kind { v } else { nil } }
        let kernel: ScalarKernel
        do throws(EvalError) { kernel = try f.definition.prepare(CallSite(datePart: f.datePart, constants: constants)) } catch {
            return { _ throws(EvalError) in throw error }
        }
        switch kernel {
        case .lazy(let body):
            return { row throws(EvalError) in try body(args.count) { i throws(EvalError) in try args[i](row) } }
        case .eager(let body):
            let strict = f.definition.signature.nullHandling == .strict
            // One argument array per call site, reused: a call allocates nothing.
            let arguments = ArgumentArray(count: args.count)
            if args.count == 1 {
                let a0 = args[0]
                return { row throws(EvalError) in
                    let v = try a0(row)
                    if strict && v.isNull { return .null }
                    arguments.values[0] = v
                    return try arguments.call(body)
                }
            }
            return { row throws(EvalError) in
                for (i, a) in args.enumerated() {
                    let v = try a(row)
                    if strict && v.isNull {
                        arguments.clear()
                        return .null
                    }
                    arguments.values[i] = v
                }
                return try arguments.call(body)
            }
        }
    }

    /// A call site's arguments. A compiled expression runs on its pipeline's one thread and never
    /// re-enters itself, so one array serves every call; its slots are reset to NULL after each
    /// call, so it holds no values between rows. (Unchecked exclusivity: the closure that owns it
    /// is its only user, and a dynamic access check per call cost more than the call.)
    private final class ArgumentArray {
        @exclusivity(unchecked) var values: [Value]
        init(count: Int) { values = Array(repeating: .null, count: count) }
        func call(_ body: ([Value]) throws(EvalError) -> Value) throws(EvalError) -> Value {
            defer { clear() }
            return try body(values)
        }
        func clear() { for i in values.indices { values[i] = .null } }
    }

    package static func compilePredicate(_ e: BoundExpr) -> CompiledPredicate {
        switch e.kind {
        case .and(let list):
            let parts = list.map(compilePredicate)
            return { row throws(EvalError) in
                var unknown = false
                for p in parts {
                    switch try p(row) {
                    case false?: return false
                    case nil: unknown = true
                    default: break
                    }
                }
                return unknown ? nil : true
            }
        case .or(let list):
            let parts = list.map(compilePredicate)
            return { row throws(EvalError) in
                var unknown = false
                for p in parts {
                    switch try p(row) {
                    case true?: return true
                    case nil: unknown = true
                    default: break
                    }
                }
                return unknown ? nil : false
            }
        case .unary(.not, let x):
            let p = compilePredicate(x)
            return { row throws(EvalError) in try p(row).map { !$0 } }
        case .binary(let op, let a, let b) where isComparison(op):
            return compileComparison(op, a, b)
        case .isNull(let x, let negated):
            let v = compile(x)
            return { row throws(EvalError) in try v(row).isNull != negated }
        case .between(let x, let lo, let hi, let negated):
            let vx = compile(x), vl = compile(lo), vh = compile(hi)
            return { row throws(EvalError) in
                let v = try vx(row)
                guard let c1 = try Comparison.compare(v, try vl(row)), let c2 = try Comparison.compare(v, try vh(row)) else {
                    return nil
                }
                return (c1 >= 0 && c2 <= 0) != negated
            }
        case .like(let x, let pattern, let negated):
            return compileLike(x, pattern, negated)
        case .inList(let x, let list, let negated):
            let vx = compile(x)
            let items = list.map(compile)
            return { row throws(EvalError) in
                let v = try vx(row)
                if v.isNull { return nil }
                var unknown = false
                for item in items {
                    switch try Comparison.compare(v, try item(row)) {
                    case 0?: return !negated
                    case nil: unknown = true
                    default: break
                    }
                }
                return unknown ? nil : negated
            }
        default:
            let v = compile(e)
            return { row throws(EvalError) in try Conversions.bool(try v(row)) }
        }
    }

    private static func isComparison(_ op: BoundBinaryOperator) -> Bool {
        switch op {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }

    private static func compileComparison(_ op: BoundBinaryOperator, _ a: BoundExpr, _ b: BoundExpr) -> CompiledPredicate {
        let va = compile(a), vb = compile(b)
        let test: (Int) -> Bool
        switch op {
        case .equal: test = { $0 == 0 }
        case .notEqual: test = { $0 != 0 }
        case .less: test = { $0 < 0 }
        case .lessEqual: test = { $0 <= 0 }
        case .greater: test = { $0 > 0 }
        default: test = { $0 >= 0 }
        }
        // Fast path: a column against a float constant (the most common filter shape).
        if case .literal(.float(let k)) = b.kind, case .column(let i) = a.kind {
            return { row throws(EvalError) in
                if case .float(let x) = row[i] { return test(x < k ? -1 : x > k ? 1 : 0) }
                return try Comparison.compare(row[i], .float(k)).map(test)
            }
        }
        return { row throws(EvalError) in try Comparison.compare(try va(row), try vb(row)).map(test) }
    }

    private static func compileLike(_ x: BoundExpr, _ pattern: BoundExpr, _ negated: Bool) -> CompiledPredicate {
        let vx = compile(x)
        if case .literal(.string(let p)) = pattern.kind {
            let matcher = LikePattern(p)
            return { row throws(EvalError) in
                guard let s = Conversions.string(try vx(row)) else { return nil }
                return matcher.matches(s) != negated
            }
        }
        let vp = compile(pattern)
        return { row throws(EvalError) in
            guard let s = Conversions.string(try vx(row)), let p = Conversions.string(try vp(row)) else { return nil }
            return LikePattern(p).matches(s) != negated
        }
    }

    private static func compileNode(_ e: BoundExpr) -> CompiledExpr {
        switch e.kind {
        case .literal(let v):
            return { _ throws(EvalError) in v }
        case .column(let i):
            return { row throws(EvalError) in row[i] }
        case .field(let base, let name):
            if case .column(let i) = base.kind {
                return { row throws(EvalError) in Records.field(row[i], name) }
            }
            let b = compile(base)
            return { row throws(EvalError) in Records.field(try b(row), name) }
        case .fieldOrText(let base, let name):
            let b = compile(base)
            return { row throws(EvalError) in
                if case .record(let r) = try b(row), let v = r[name] { return v }
                return .string(name)
            }
        case .systemTimestamp:
            return { row throws(EvalError) in .datetime(Timestamp(ticks: row.time)) }
        case .windowId:
            return { _ throws(EvalError) in .null }
        case .makeRecord(let names, let values):
            let parts = values.map(compile)
            return { row throws(EvalError) in
                var out: [Value] = []
                out.reserveCapacity(parts.count)
                for p in parts { out.append(try p(row)) }
                return .record(Record(names: names, values: out))
            }
        case .unary(.negate, let x):
            let v = compile(x)
            return { row throws(EvalError) in try Arithmetic.negate(try v(row)) }
        case .unary(.bitwiseNot, let x):
            let v = compile(x)
            return { row throws(EvalError) in try Arithmetic.bitwiseNot(try v(row)) }
        case .binary(let op, let a, let b) where !isComparison(op):
            let va = compile(a), vb = compile(b)
            return { row throws(EvalError) in try Arithmetic.apply(op, try va(row), try vb(row)) }
        case .unary(.not, _), .binary, .and, .or, .between, .like, .inList, .isNull:
            let p = compilePredicate(e)
            return { row throws(EvalError) in try p(row).map(Value.bit) ?? .null }
        case .caseWhen(let whens, let elseExpr):
            let arms = whens.map { (compilePredicate($0.condition), compile($0.result)) }
            let otherwise = elseExpr.map(compile)
            return { row throws(EvalError) in
                for (cond, result) in arms where try cond(row) == true { return try result(row) }
                return try otherwise?(row) ?? .null
            }
        case .cast(let x, let type, let isTry):
            let v = compile(x)
            if isTry {
                return { row throws(EvalError) in
                    let value = try v(row)
                    do throws(EvalError) { return try Conversions.cast(value, to: type) } catch { return .null }
                }
            }
            return { row throws(EvalError) in try Conversions.cast(try v(row), to: type) }
        case .call(let f, let args):
            return compileCall(f, args)
        }
    }
}

