import SAQLParser

/// A column of a relation.
package struct Column: Hashable, Sendable, Encodable {
    package var name: String
    package var type: DataType
    /// A hidden column is resolvable by name but not written to outputs (a `*` splice already covers it).
    package var hidden: Bool
    /// A splice column holds a record whose fields are columns of the relation (`SELECT *` over a schemaless input).
    package var splice: Bool

    package init(name: String, type: DataType, hidden: Bool = false, splice: Bool = false) {
        self.name = name
        self.type = type
        self.hidden = hidden
        self.splice = splice
    }
}

/// The row layout of a relation: columns by position. `open` relations may hold more fields than
/// their named columns, reachable through their splice column; `origins` names the inputs they come from.
package struct Schema: Hashable, Sendable, Encodable {
    package var columns: [Column]
    package var origins: [String]

    package init(columns: [Column], origins: [String] = []) {
        self.columns = columns
        self.origins = origins
    }

    package var isOpen: Bool { spliceIndex != nil }
    package var spliceIndex: Int? { columns.firstIndex { $0.splice } }

    /// The index of a named (non-splice) column, ignoring case.
    package func index(of name: String) -> Int? {
        columns.firstIndex { !$0.splice && $0.name.caseInsensitiveEquals(name) }
    }

    /// Names written to outputs, in order, for closed relations.
    package var visibleNames: [String] { columns.filter { !$0.hidden && !$0.splice }.map(\.name) }
}
