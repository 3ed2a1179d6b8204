/// A parsed job file: header statements and the ASA query, in source order.
public struct Script: Hashable, Sendable {
    public var statements: [Statement]
    public var range: SourceRange

    public init(statements: [Statement], range: SourceRange) {
        self.statements = statements
        self.range = range
    }
}

/// One top-level statement.
public enum Statement: Hashable, Sendable {
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

    public var range: SourceRange {
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
public struct SetStatement: Hashable, Sendable {
    public var key: Name
    public var value: OptionValue
    public var range: SourceRange
}

/// A literal in a header statement; text inside may contain `${ENV}` references.
public struct OptionValue: Hashable, Sendable {
    public var text: String
    public var range: SourceRange
    public var isString: Bool
}

/// `key = value` in a `WITH (...)` option list; dotted keys (`properties.sasl.mechanism`) keep their dots.
public struct EndpointOption: Hashable, Sendable {
    public var key: Name
    public var value: OptionValue
}

/// Declares a job's input, reference input or output binding.
public struct CreateEndpointStatement: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case input = "INPUT", referenceInput = "REFERENCE INPUT", output = "OUTPUT" }
    public var kind: Kind
    public var name: Name
    public var options: [EndpointOption]
    public var range: SourceRange
}

/// `CREATE FUNCTION name WITH (option = value, ...)`: a user-defined function called as
/// `udf.name(...)` (scalar) or `uda.name(...)` (aggregate).
public struct CreateFunctionStatement: Hashable, Sendable {
    public var name: Name
    public var options: [EndpointOption]
    public var range: SourceRange
}

/// `CREATE TABLE name (column type, ...)`.
public struct CreateTableStatement: Hashable, Sendable {
    public struct Column: Hashable, Sendable {
        public var name: Name
        public var type: TypeName
    }
    public var name: Name
    public var columns: [Column]
    public var range: SourceRange
}

/// `name AS (query)` inside WITH.
public struct CommonTableExpression: Hashable, Sendable {
    public var name: Name
    public var query: QueryExpression
    public var range: SourceRange
}

/// A SELECT or a UNION of SELECTs.
public indirect enum QueryExpression: Hashable, Sendable {
    case select(SelectCore)
    case union(QueryExpression, QueryExpression, all: Bool, range: SourceRange)

    public var range: SourceRange {
        switch self {
        case .select(let s): return s.range
        case .union(_, _, _, let r): return r
        }
    }

    /// The leftmost SELECT, where `INTO` is written.
    public var first: SelectCore {
        switch self {
        case .select(let s): return s
        case .union(let l, _, _, _): return l.first
        }
    }

    /// Every SELECT of the union, left to right.
    public var cores: [SelectCore] {
        switch self {
        case .select(let s): return [s]
        case .union(let l, let r, _, _): return l.cores + r.cores
        }
    }
}

/// One SELECT block.
public struct SelectCore: Hashable, Sendable {
    public var distinct: Bool
    public var top: Expr?
    public var items: [SelectItem]
    public var into: Name?
    public var from: FromClause?
    public var whereClause: Expr?
    public var groupBy: [Expr]?
    public var having: Expr?
    public var range: SourceRange
}

/// An item of a select list.
public enum SelectItem: Hashable, Sendable {
    /// `*`
    case star(SourceRange)
    /// `alias.*` or `record.field.*`
    case qualifiedStar(Expr, SourceRange)
    /// `expr [AS alias]`, `expr alias` or `alias = expr`
    case expr(Expr, alias: Name?)

    public var range: SourceRange {
        switch self {
        case .star(let r), .qualifiedStar(_, let r): return r
        case .expr(let e, let a): return a.map { e.range.union($0.range) } ?? e.range
        }
    }
}

/// `FROM source` followed by joins and applies in written order.
public struct FromClause: Hashable, Sendable {
    public var source: TableSource
    public var tail: [FromTail]
    public var range: SourceRange
}

/// A join or an apply following the first source.
public enum FromTail: Hashable, Sendable {
    case join(JoinClause)
    case apply(ApplyClause)
}

/// `[INNER | LEFT [OUTER]] JOIN source ON condition`.
public struct JoinClause: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case inner = "INNER", left = "LEFT OUTER" }
    public var kind: Kind
    public var source: TableSource
    public var on: Expr
    public var range: SourceRange
}

/// `{CROSS | OUTER} APPLY function(args) AS alias`.
public struct ApplyClause: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case cross = "CROSS", outer = "OUTER" }
    public var kind: Kind
    public var function: Expr
    public var alias: Name?
    public var range: SourceRange
}

/// A named source in FROM or JOIN with its streaming options.
public struct TableSource: Hashable, Sendable {
    public var name: Name
    public var alias: Name?
    public var timestampBy: TimestampBy?
    public var partitionBy: [Expr]?
    /// `INTO n` after `PARTITION BY`: the repartition shard count.
    public var partitionCount: Expr?
    /// `MATCH_RECOGNIZE (...)`: the source's events matched against a row pattern.
    public var matchRecognize: MatchRecognizeClause?
    public var range: SourceRange

    /// The name the source is referred to by: its alias, else its name.
    public var referenceName: Name { alias ?? name }
}

/// `TIMESTAMP BY expr [OVER key, ...]`.
public struct TimestampBy: Hashable, Sendable {
    public var expr: Expr
    public var over: [Expr]
    public var range: SourceRange
}

/// `MATCH_RECOGNIZE (LIMIT DURATION(...) PARTITION BY ... MEASURES ... AFTER MATCH SKIP TO NEXT ROW
/// PATTERN (...) DEFINE ...) [AS alias]`: one row per match of the pattern over each partition's events.
public struct MatchRecognizeClause: Hashable, Sendable {
    public struct Measure: Hashable, Sendable {
        public var expr: Expr
        public var alias: Name
    }
    public struct Definition: Hashable, Sendable {
        public var name: Name
        public var condition: Expr
    }
    public var limitDuration: DurationSpec?
    public var partitionBy: [Expr]
    public var measures: [Measure]
    public var pattern: RowPattern
    public var definitions: [Definition]
    public var alias: Name?
    /// The MATCH_RECOGNIZE keyword.
    public var keyword: SourceRange
    public var range: SourceRange
}

/// A row pattern: pattern variables (or `.`, any event) in sequence, alternatives and quantified.
public indirect enum RowPattern: Hashable, Sendable {
    case variable(Name)
    case any(SourceRange)
    case sequence([RowPattern])
    case alternation([RowPattern])
    /// `p*`, `p+`, `p?`, `p{n}`, `p{n,}`, `p{n,m}`; `max` nil is unbounded.
    case quantified(RowPattern, min: Int, max: Int?, range: SourceRange)
}
