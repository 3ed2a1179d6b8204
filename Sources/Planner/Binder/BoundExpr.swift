import SAQLParser

/// A name-resolved, typed expression over the columns of one input row.
///
/// Equality and hashing ignore `range`, so two spellings of the same expression compare equal;
/// the binder relies on this to match SELECT expressions against GROUP BY keys.
package struct BoundExpr: Hashable, Sendable, Encodable {
    package var kind: BoundExprKind
    package var type: DataType
    package var range: SourceRange

    /// Where an expression was written is not part of what it computes.
    private enum CodingKeys: String, CodingKey { case kind, type }

    package init(_ kind: BoundExprKind, _ type: DataType, _ range: SourceRange = .unknown) {
        self.kind = kind
        self.type = type
        self.range = range
    }

    package static func == (a: BoundExpr, b: BoundExpr) -> Bool { a.kind == b.kind && a.type == b.type }
    package func hash(into h: inout Hasher) {
        h.combine(kind)
        h.combine(type)
    }

    package static func literal(_ v: Value, _ range: SourceRange = .unknown) -> BoundExpr {
        BoundExpr(.literal(v), v.dataType, range)
    }

    /// True when the expression reads no column and no event time (so it is the same for every row).
    package var isConstant: Bool {
        switch kind {
        case .literal: return true
        case .column, .fieldOrText, .systemTimestamp, .windowId: return false
        case .field(let e, _): return e.isConstant
        case .unary(_, let e), .cast(let e, _, _), .isNull(let e, _): return e.isConstant
        case .binary(_, let a, let b): return a.isConstant && b.isConstant
        case .makeRecord(_, let list): return list.allSatisfy(\.isConstant)
        case .and(let list), .or(let list), .call(_, let list), .inList(_, let list, _):
            if case .inList(let x, _, _) = kind, !x.isConstant { return false }
            return list.allSatisfy(\.isConstant)
        case .between(let x, let l, let h, _): return x.isConstant && l.isConstant && h.isConstant
        case .like(let x, let p, _): return x.isConstant && p.isConstant
        case .caseWhen(let whens, let e):
            return whens.allSatisfy { $0.condition.isConstant && $0.result.isConstant } && (e?.isConstant ?? true)
        }
    }

    /// Every column index the expression reads.
    package var columnsRead: Set<Int> {
        var out = Set<Int>()
        visit { if case .column(let i) = $0.kind { out.insert(i) } }
        return out
    }

    /// Calls `body` on this node and every sub-expression, parents first.
    package func visit(_ body: (BoundExpr) -> Void) {
        body(self)
        for child in children { child.visit(body) }
    }

    package var children: [BoundExpr] {
        switch kind {
        case .literal, .column, .systemTimestamp, .windowId: return []
        case .field(let e, _), .unary(_, let e), .cast(let e, _, _), .isNull(let e, _): return [e]
        case .fieldOrText(let e, _): return [e]
        case .binary(_, let a, let b): return [a, b]
        case .and(let l), .or(let l), .call(_, let l), .makeRecord(_, let l): return l
        case .inList(let x, let l, _): return [x] + l
        case .between(let x, let a, let b, _): return [x, a, b]
        case .like(let x, let p, _): return [x, p]
        case .caseWhen(let whens, let e): return whens.flatMap { [$0.condition, $0.result] } + (e.map { [$0] } ?? [])
        }
    }

    /// Rewrites column references through `map` (used when a plan node's input layout changes).
    package func remapColumns(_ map: (Int) -> BoundExpr) -> BoundExpr {
        var copy = self
        switch kind {
        case .column(let i): return map(i)
        case .literal, .systemTimestamp, .windowId: return self
        case .field(let e, let n): copy.kind = .field(e.remapColumns(map), n)
        case .fieldOrText(let e, let t): copy.kind = .fieldOrText(e.remapColumns(map), t)
        case .unary(let op, let e): copy.kind = .unary(op, e.remapColumns(map))
        case .cast(let e, let t, let isTry): copy.kind = .cast(e.remapColumns(map), t, isTry: isTry)
        case .isNull(let e, let n): copy.kind = .isNull(e.remapColumns(map), negated: n)
        case .binary(let op, let a, let b): copy.kind = .binary(op, a.remapColumns(map), b.remapColumns(map))
        case .and(let l): copy.kind = .and(l.map { $0.remapColumns(map) })
        case .or(let l): copy.kind = .or(l.map { $0.remapColumns(map) })
        case .call(let f, let l): copy.kind = .call(f, l.map { $0.remapColumns(map) })
        case .makeRecord(let n, let l): copy.kind = .makeRecord(names: n, values: l.map { $0.remapColumns(map) })
        case .inList(let x, let l, let n): copy.kind = .inList(x.remapColumns(map), l.map { $0.remapColumns(map) }, negated: n)
        case .between(let x, let a, let b, let n):
            copy.kind = .between(x.remapColumns(map), a.remapColumns(map), b.remapColumns(map), negated: n)
        case .like(let x, let p, let n): copy.kind = .like(x.remapColumns(map), p.remapColumns(map), negated: n)
        case .caseWhen(let whens, let e):
            copy.kind = .caseWhen(whens.map { .init(condition: $0.condition.remapColumns(map), result: $0.result.remapColumns(map)) },
                                  else: e?.remapColumns(map))
        }
        return copy
    }
}

/// Arithmetic, bitwise and comparison operators on bound expressions.
package enum BoundBinaryOperator: String, Hashable, Sendable, Encodable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case bitAnd = "&", bitOr = "|", bitXor = "^"
    case equal = "=", notEqual = "<>", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

package enum BoundUnaryOperator: String, Hashable, Sendable, Encodable {
    case negate = "-", bitwiseNot = "~", not = "NOT"
}

/// The shapes of a bound expression.
package indirect enum BoundExprKind: Hashable, Sendable, Encodable {
    case literal(Value)
    /// The value in column `index` of the input row.
    case column(Int)
    /// A field of a record value, looked up ignoring case; NULL when absent or not a record.
    case field(BoundExpr, String)
    /// A `"double-quoted"` name over a schemaless input: the field when the record has it, else the text.
    case fieldOrText(BoundExpr, String)
    /// `System.Timestamp()`: the row's event time (a window's end after GROUP BY).
    case systemTimestamp
    /// `System.Window().Id` inside `Windows(...)`.
    case windowId
    /// A record built from named values (a whole row of a relation with a known schema).
    case makeRecord(names: [String], values: [BoundExpr])
    case unary(BoundUnaryOperator, BoundExpr)
    case binary(BoundBinaryOperator, BoundExpr, BoundExpr)
    case and([BoundExpr])
    case or([BoundExpr])
    case between(BoundExpr, BoundExpr, BoundExpr, negated: Bool)
    case like(BoundExpr, BoundExpr, negated: Bool)
    case inList(BoundExpr, [BoundExpr], negated: Bool)
    case isNull(BoundExpr, negated: Bool)
    /// Searched CASE; a simple CASE is bound as `operand = value` conditions.
    case caseWhen([BoundWhen], else: BoundExpr?)
    case cast(BoundExpr, DataType, isTry: Bool)
    case call(FunctionRef, [BoundExpr])
}

/// One `WHEN condition THEN result` arm.
package struct BoundWhen: Hashable, Sendable, Encodable {
    package var condition: BoundExpr
    package var result: BoundExpr
    package init(condition: BoundExpr, result: BoundExpr) {
        self.condition = condition
        self.result = result
    }
}
