import Planner
import SAQLParser

/// How a row of a given schema becomes named output fields: visible columns in order, a splice
/// column expanding to its record's fields, and later duplicates (ignoring case) dropped, as ASA does.
package struct RowShape: Sendable {
    struct Part: Sendable {
        var column: Int
        var name: String
        /// `"name":` as JSON, prepared once.
        var jsonKey: [UInt8]
        var splice: Bool
    }

    let parts: [Part]
    let mayRepeatNames: Bool

    package init(schema: Schema) {
        var parts: [Part] = []
        for (i, c) in schema.columns.enumerated() where !c.hidden {
            var key: [UInt8] = []
            JSONWriter.appendString(c.name, to: &key)
            key.append(0x3A)
            parts.append(Part(column: i, name: c.name, jsonKey: key, splice: c.splice))
        }
        self.parts = parts
        let lowered = parts.filter { !$0.splice }.map { $0.name.lowercased() }
        mayRepeatNames = parts.contains { $0.splice } || Set(lowered).count != lowered.count
    }

    /// The output column names, for closed schemas (CSV headers).
    package var names: [String] { parts.filter { !$0.splice }.map(\.name) }

    /// Calls `body` with each output field of the row.
    package func forEachField(_ row: RowRef, _ body: (String, Value) -> Void) {
        var seen: [String] = []
        func emit(_ name: String, _ v: Value) {
            if mayRepeatNames {
                if seen.contains(where: { $0.caseInsensitiveEquals(name) }) { return }
                seen.append(name)
            }
            body(name, v)
        }
        for p in parts {
            if p.splice {
                if case .record(let r) = row[p.column] {
                    for i in 0..<r.count { emit(r.names[i], r.values[i]) }
                }
            } else {
                emit(p.name, row[p.column])
            }
        }
    }

    /// The row as a record.
    package func record(_ row: RowRef) -> Record {
        var r = Record()
        forEachField(row) { name, value in
            r.names.append(name)
            r.values.append(value)
        }
        return r
    }

    /// Appends the row as one JSON object (no newline).
    @inline(__always)
    package func appendJSON(_ row: RowRef, to out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        if !mayRepeatNames {
            for p in parts {
                if !first { out.append(0x2C) }
                first = false
                out.append(contentsOf: p.jsonKey)
                JSONWriter.append(row[p.column], to: &out)
            }
        } else {
            forEachField(row) { name, value in
                if !first { out.append(0x2C) }
                first = false
                JSONWriter.appendString(name, to: &out)
                out.append(0x3A)
                JSONWriter.append(value, to: &out)
            }
        }
        out.append(0x7D)
    }
}
