/// An expression as written, with its source range. Produced by the parser, consumed by the binder.
package struct Expr: Hashable, Sendable {
    package var kind: ExprKind
    package var range: SourceRange

    package init(_ kind: ExprKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    /// The placeholder for an expression the parser could not read; a diagnostic was already issued.
    package static func missing(at range: SourceRange) -> Expr { Expr(.missing, range) }
}

/// Literal constants.
package enum Literal: Hashable, Sendable {
    case integer(String)
    case float(String)
    case string(String)
    case null
}

package enum UnaryOperator: String, Hashable, Sendable {
    case negate = "-", plus = "+", bitwiseNot = "~", not = "NOT"
}

package enum BinaryOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case bitAnd = "&", bitOr = "|", bitXor = "^"
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "AND", or = "OR"

    package var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}

/// The shapes an expression can take.
package indirect enum ExprKind: Hashable, Sendable {
    /// A name: a column, an input alias or a keyword-like argument (`minute` in `DATEADD(minute, ...)`).
    case identifier(Name)
    /// `base.name`, including `base.[0]` for numeric record keys.
    case member(Expr, Name)
    /// `*` as a function argument or `alias.*`/`record.*` in a select list (base is then set).
    case star(Expr?)
    case literal(Literal)
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    case between(Expr, low: Expr, high: Expr, negated: Bool)
    case like(Expr, pattern: Expr, negated: Bool)
    case inList(Expr, [Expr], negated: Bool)
    case isNull(Expr, negated: Bool)
    case caseWhen(CaseExpr)
    case cast(Expr, TypeName, isTry: Bool)
    case call(FunctionCall)
    case missing
}

/// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`.
package struct CaseExpr: Hashable, Sendable {
    package var operand: Expr?
    package var whens: [WhenClause]
    package var elseResult: Expr?

    package struct WhenClause: Hashable, Sendable {
        package var condition: Expr
        package var result: Expr
    }
}

/// A type name in CAST, TRY_CAST or CREATE TABLE: `bigint`, `float`, `nvarchar(max)`, `datetime`,
/// `bit`, `record`, `array`.
package struct TypeName: Hashable, Sendable {
    package var name: String
    package var range: SourceRange
}

/// A function call, possibly qualified (`System.Timestamp`, `udf.f`), with analytic options.
package struct FunctionCall: Hashable, Sendable {
    /// The name's parts: `["System", "Timestamp"]`.
    package var name: [Name]
    package var arguments: [Expr]
    package var distinct: Bool
    package var over: OverClause?
    /// `WITHIN GROUP (ORDER BY ...)`, an alternative spelling for percentile ordering.
    package var withinGroup: [OrderItem]?
    /// True when written with parentheses; `System.Timestamp` may be written without them.
    package var hasParentheses: Bool
    package var nameRange: SourceRange

    /// The last name part, the function's own name.
    package var baseName: String { name.last?.text ?? "" }
    /// The full dotted name as written.
    package var qualifiedName: String { name.map(\.text).joined(separator: ".") }
    /// The name functions are registered under: `UPPER` for `upper(x)`, `UDF.F` for `udf.f(x)`,
    /// `UDA.F` for `uda.f(x)`; `nil` for other dotted names.
    package var registryKey: String? {
        if name.count == 1 { return baseName.uppercased() }
        guard name.count == 2, ["UDF", "UDA"].contains(name[0].text.uppercased()) else { return nil }
        return name[0].text.uppercased() + "." + baseName.uppercased()
    }
}

/// `OVER ([PARTITION BY ...] [ORDER BY ...] [LIMIT DURATION(unit, n)] [WHEN cond])`.
package struct OverClause: Hashable, Sendable {
    package var partitionBy: [Expr]
    package var orderBy: [OrderItem]
    package var limitDuration: DurationSpec?
    package var when: Expr?
    package var range: SourceRange
}

/// `unit, size` as in `LIMIT DURATION(minute, 5)`.
package struct DurationSpec: Hashable, Sendable {
    package var unit: Name
    package var size: Expr
    package var range: SourceRange
}

/// An `ORDER BY` item.
package struct OrderItem: Hashable, Sendable {
    package var expr: Expr
    package var descending: Bool
}

extension Expr {
    /// The direct subexpressions in source order: operands, function arguments, CASE parts (not
    /// the OVER or WITHIN GROUP clauses of a call).
    package var children: [Expr] {
        switch kind {
        case .call(let c): return c.arguments
        case .member(let b, _): return [b]
        case .star(let b): return b.map { [$0] } ?? []
        case .unary(_, let x), .cast(let x, _, _), .isNull(let x, _): return [x]
        case .binary(_, let a, let b), .like(let a, let b, _): return [a, b]
        case .between(let x, let a, let b, _): return [x, a, b]
        case .inList(let x, let l, _): return [x] + l
        case .caseWhen(let c):
            return (c.operand.map { [$0] } ?? []) + c.whens.flatMap { [$0.condition, $0.result] } + (c.elseResult.map { [$0] } ?? [])
        case .identifier, .literal, .missing: return []
        }
    }

    /// Calls `body` with this expression and every subexpression, depth first.
    package func visit(_ body: (Expr) -> Void) {
        body(self)
        for c in children { c.visit(body) }
    }
}
