/// A parsed job file: header statements and the ASA query, in source order.
package struct Script: Hashable, Sendable {
    package var statements: [Statement]
    package var range: SourceRange

    package init(statements: [Statement], range: SourceRange) {
        self.statements = statements
        self.range = range
    }
}

/// One top-level statement.
package enum Statement: Hashable, Sendable {
    /// `SET key = 'value'`.
    case set(SetStatement)
    /// `CREATE [REFERENCE] INPUT name WITH (...)` or `CREATE OUTPUT name WITH (...)`.
    case createEndpoint(CreateEndpointStatement)
    /// ASA's `CREATE TABLE name (column type, ...)` input-schema declaration.
    case createTable(CreateTableStatement)
    /// `CREATE FUNCTION name WITH (language = ..., kind = ..., code | path = ...)`: a user function.
    case createFunction(CreateFunctionStatement)
    /// `WITH name AS (query), ...`: steps visible to every later statement.
    case with([CommonTableExpression], range: SourceRange)
    /// `SELECT ... [INTO output] ...`, possibly a UNION.
    case select(QueryExpression)

    package var range: SourceRange {
        switch self {
        case .set(let s): return s.range
        case .createEndpoint(let s): return s.range
        case .createTable(let s): return s.range
        case .createFunction(let s): return s.range
        case .with(_, let r): return r
        case .select(let q): return q.range
        }
    }
}

/// `SET key = value`.
package struct SetStatement: Hashable, Sendable {
    package var key: Name
    package var value: OptionValue
    package var range: SourceRange
}

/// A literal in a header statement; text inside may contain `${ENV}` references.
package struct OptionValue: Hashable, Sendable {
    package var text: String
    package var range: SourceRange
    package var isString: Bool
}

/// `key = value` in a `WITH (...)` option list; dotted keys (`properties.sasl.mechanism`) keep their dots.
package struct EndpointOption: Hashable, Sendable {
    package var key: Name
    package var value: OptionValue
}

/// Declares a job's input, reference input or output binding.
package struct CreateEndpointStatement: Hashable, Sendable {
    package enum Kind: String, Hashable, Sendable { case input = "INPUT", referenceInput = "REFERENCE INPUT", output = "OUTPUT" }
    package var kind: Kind
    package var name: Name
    package var options: [EndpointOption]
    package var range: SourceRange
}

/// `CREATE FUNCTION name WITH (option = value, ...)`: a user-defined function called as
/// `udf.name(...)` (scalar) or `uda.name(...)` (aggregate).
package struct CreateFunctionStatement: Hashable, Sendable {
    package var name: Name
    package var options: [EndpointOption]
    package var range: SourceRange
}

/// `CREATE TABLE name (column type, ...)`.
package struct CreateTableStatement: Hashable, Sendable {
    package struct Column: Hashable, Sendable {
        package var name: Name
        package var type: TypeName
    }
    package var name: Name
    package var columns: [Column]
    package var range: SourceRange
}

/// `name AS (query)` inside WITH.
package struct CommonTableExpression: Hashable, Sendable {
    package var name: Name
    package var query: QueryExpression
    package var range: SourceRange
}

/// A SELECT or a UNION of SELECTs.
package indirect enum QueryExpression: Hashable, Sendable {
    case select(SelectCore)
    case union(QueryExpression, QueryExpression, all: Bool, range: SourceRange)

    package var range: SourceRange {
        switch self {
        case .select(let s): return s.range
        case .union(_, _, _, let r): return r
        }
    }

    /// The leftmost SELECT, where `INTO` is written.
    package var first: SelectCore {
        switch self {
        case .select(let s): return s
        case .union(let l, _, _, _): return l.first
        }
    }

    /// Every SELECT of the union, left to right.
    package var cores: [SelectCore] {
        switch self {
        case .select(let s): return [s]
        case .union(let l, let r, _, _): return l.cores + r.cores
        }
    }
}

/// One SELECT block.
package struct SelectCore: Hashable, Sendable {
    package var distinct: Bool
    package var top: Expr?
    package var items: [SelectItem]
    package var into: Name?
    package var from: FromClause?
    package var whereClause: Expr?
    package var groupBy: [Expr]?
    package var having: Expr?
    package var range: SourceRange
}

/// An item of a select list.
package enum SelectItem: Hashable, Sendable {
    /// `*`
    case star(SourceRange)
    /// `alias.*` or `record.field.*`
    case qualifiedStar(Expr, SourceRange)
    /// `expr [AS alias]`, `expr alias` or `alias = expr`
    case expr(Expr, alias: Name?)

    package var range: SourceRange {
        switch self {
        case .star(let r), .qualifiedStar(_, let r): return r
        case .expr(let e, let a): return a.map { e.range.union($0.range) } ?? e.range
        }
    }
}

/// `FROM source` followed by joins and applies in written order.
package struct FromClause: Hashable, Sendable {
    package var source: TableSource
    package var tail: [FromTail]
    package var range: SourceRange
}

/// A join or an apply following the first source.
package enum FromTail: Hashable, Sendable {
    case join(JoinClause)
    case apply(ApplyClause)
}

/// `[INNER | LEFT [OUTER]] JOIN source ON condition`.
package struct JoinClause: Hashable, Sendable {
    package enum Kind: String, Hashable, Sendable { case inner = "INNER", left = "LEFT OUTER" }
    package var kind: Kind
    package var source: TableSource
    package var on: Expr
    package var range: SourceRange
}

/// `{CROSS | OUTER} APPLY function(args) AS alias`.
package struct ApplyClause: Hashable, Sendable {
    package enum Kind: String, Hashable, Sendable { case cross = "CROSS", outer = "OUTER" }
    package var kind: Kind
    package var function: Expr
    package var alias: Name?
    package var range: SourceRange
}

/// A named source in FROM or JOIN with its streaming options.
package struct TableSource: Hashable, Sendable {
    package var name: Name
    package var alias: Name?
    package var timestampBy: TimestampBy?
    package var partitionBy: [Expr]?
    /// `INTO n` after `PARTITION BY`: the repartition shard count.
    package var partitionCount: Expr?
    /// `MATCH_RECOGNIZE (...)`: the source's events matched against a row pattern.
    package var matchRecognize: MatchRecognizeClause?
    package var range: SourceRange

    /// The name the source is referred to by: its alias, else its name.
    package var referenceName: Name { alias ?? name }
}

/// `TIMESTAMP BY expr [OVER key, ...]`.
package struct TimestampBy: Hashable, Sendable {
    package var expr: Expr
    package var over: [Expr]
    package var range: SourceRange
}

/// `MATCH_RECOGNIZE (LIMIT DURATION(...) PARTITION BY ... MEASURES ... AFTER MATCH SKIP TO NEXT ROW
/// PATTERN (...) DEFINE ...) [AS alias]`: one row per match of the pattern over each partition's events.
package struct MatchRecognizeClause: Hashable, Sendable {
    package struct Measure: Hashable, Sendable {
        package var expr: Expr
        package var alias: Name
    }
    package struct Definition: Hashable, Sendable {
        package var name: Name
        package var condition: Expr
    }
    package var limitDuration: DurationSpec?
    package var partitionBy: [Expr]
    package var measures: [Measure]
    package var pattern: RowPattern
    package var definitions: [Definition]
    package var alias: Name?
    /// The MATCH_RECOGNIZE keyword.
    package var keyword: SourceRange
    package var range: SourceRange
}

/// A row pattern: pattern variables (or `.`, any event) in sequence, alternatives and quantified.
package indirect enum RowPattern: Hashable, Sendable {
    case variable(Name)
    case any(SourceRange)
    case sequence([RowPattern])
    case alternation([RowPattern])
    /// `p*`, `p+`, `p?`, `p{n}`, `p{n,}`, `p{n,m}`; `max` nil is unbounded.
    case quantified(RowPattern, min: Int, max: Int?, range: SourceRange)
}

extension RowPattern {
    /// Where the pattern is written (nil for an empty sequence).
    package var range: SourceRange? {
        switch self {
        case .variable(let name): return name.range
        case .any(let range), .quantified(_, _, _, let range): return range
        case .sequence(let items), .alternation(let items):
            guard let first = items.first?.range, let last = items.last?.range else { return nil }
            return first.union(last)
        }
    }
}
