import SAQLParser

/// The relations visible to expressions of one SELECT: each FROM source with its alias and the
/// position of its columns in the combined row.
struct Scope {
    struct Relation {
        /// The name the query refers to the relation by (its alias, else its name).
        var alias: String
        var schema: Schema
        /// Column offset of this relation inside the row the expressions read.
        var offset: Int
        /// Set when the relation is an input read directly: its fields resolve through the input's layout.
        var input: String?
        /// Set when the source itself is in error: names resolve to NULL silently, avoiding cascades.
        var poisoned = false
        /// The column (relative to `offset`) holding the source's own event time, in joins.
        var timeColumn: Int?
        /// Columns the relation occupies in the row.
        var width = 0
        /// True for a reference input (joined as a table, not a stream).
        var isReference = false
        /// Reachable only by qualified names (`alias.column`): MATCH_RECOGNIZE's pattern variables.
        var qualifiedOnly = false
    }

    var relations: [Relation]

    /// Columns of the combined row.
    var width: Int { relations.map { $0.offset + $0.width }.max() ?? 0 }
}

/// How the binder treats aggregates while binding an expression.
enum AggregateMode {
    /// Aggregates are errors here (WHERE, GROUP BY keys, TIMESTAMP BY, ...); `clause` names the place.
    case forbidden(clause: String)
    /// SELECT or HAVING of a grouped query: aggregates and group keys become columns of the aggregate output.
    case grouped(GroupContext)
    /// MATCH_RECOGNIZE's MEASURES: FIRST, LAST, aggregates and variable columns become match slots.
    case measures(MeasureContext)
}

/// The state of a grouped SELECT: its keys and the aggregates found so far.
final class GroupContext {
    let keys: [BoundExpr]
    var aggregates: [AggregateCall] = []
    /// Aliases of select items, which HAVING may reference (as ASA's own examples do).
    var selectAliases: [String: BoundExpr] = [:]
    var inHaving = false

    init(keys: [BoundExpr]) { self.keys = keys }

    /// The output column of an aggregate, added on first use.
    func column(for call: AggregateCall) -> Int {
        if let i = aggregates.firstIndex(of: call) { return keys.count + i }
        aggregates.append(call)
        return keys.count + aggregates.count - 1
    }
}
