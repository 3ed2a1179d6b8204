/// An expression as written, with its source range. Produced by the parser, consumed by the binder.
public struct Expr: Hashable, Sendable {
    public var kind: ExprKind
    public var range: SourceRange

    public init(_ kind: ExprKind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    /// The placeholder for an expression the parser could not read; a diagnostic was already issued.
    public static func missing(at range: SourceRange) -> Expr { Expr(.missing, range) }
}

/// Literal constants.
public enum Literal: Hashable, Sendable {
    case integer(String)
    case float(String)
    case string(String)
    case null
}

public enum UnaryOperator: String, Hashable, Sendable {
    case negate = "-", plus = "+", bitwiseNot = "~", not = "NOT"
}

public enum BinaryOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case bitAnd = "&", bitOr = "|", bitXor = "^"
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "AND", or = "OR"

    public var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}

/// The shapes an expression can take.
public indirect enum ExprKind: Hashable, Sendable {
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
public struct CaseExpr: Hashable, Sendable {
    public var operand: Expr?
    public var whens: [WhenClause]
    public var elseResult: Expr?

    public struct WhenClause: Hashable, Sendable {
        public var condition: Expr
        public var result: Expr
    }
}

/// A type name in CAST, TRY_CAST or CREATE TABLE: `bigint`, `float`, `nvarchar(max)`, `datetime`,
/// `bit`, `record`, `array`.
public struct TypeName: Hashable, Sendable {
    public var name: String
    public var range: SourceRange
}

/// A function call, possibly qualified (`System.Timestamp`, `udf.f`), with analytic options.
public struct FunctionCall: Hashable, Sendable {
    /// The name's parts: `["System", "Timestamp"]`.
    public var name: [Name]
    public var arguments: [Expr]
    public var distinct: Bool
    public var over: OverClause?
    /// `WITHIN GROUP (ORDER BY ...)`, an alternative spelling for percentile ordering.
    public var withinGroup: [OrderItem]?
    /// True when written with parentheses; `System.Timestamp` may be written without them.
    public var hasParentheses: Bool
    public var nameRange: SourceRange

    /// The last name part, the function's own name.
    public var baseName: String { name.last?.text ?? "" }
    /// The full dotted name as written.
    public var qualifiedName: String { name.map(\.text).joined(separator: ".") }
    /// The name functions are registered under: `UPPER` for `upper(x)`, `UDF.F` for `udf.f(x)`,
    /// `UDA.F` for `uda.f(x)`; `nil` for other dotted names.
    public var registryKey: String? {
        if name.count == 1 { return baseName.uppercased() }
        guard name.count == 2, ["UDF", "UDA"].contains(name[0].text.uppercased()) else { return nil }
        return name[0].text.uppercased() + "." + baseName.uppercased()
    }
}

/// `OVER ([PARTITION BY ...] [ORDER BY ...] [LIMIT DURATION(unit, n)] [WHEN cond])`.
public struct OverClause: Hashable, Sendable {
    public var partitionBy: [Expr]
    public var orderBy: [OrderItem]
    public var limitDuration: DurationSpec?
    public var when: Expr?
    public var range: SourceRange
}

/// `unit, size` as in `LIMIT DURATION(minute, 5)`.
public struct DurationSpec: Hashable, Sendable {
    public var unit: Name
    public var size: Expr
    public var range: SourceRange
}

/// An `ORDER BY` item.
public struct OrderItem: Hashable, Sendable {
    public var expr: Expr
    public var descending: Bool
}

extension Expr {
    /// The direct subexpressions in source order: operands, function arguments, CASE parts (not
    /// the OVER or WITHIN GROUP clauses of a call).
    public var children: [Expr] {
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
    public func visit(_ body: (Expr) -> Void) {
        body(self)
        for c in children { c.visit(body) }
    }
}
