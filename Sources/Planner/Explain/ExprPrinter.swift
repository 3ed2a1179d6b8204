import Foundation

/// Prints bound expressions in SAQL-like syntax, naming columns after the input schema.
package struct ExprPrinter {
    package var schema: Schema

    package init(schema: Schema) { self.schema = schema }

    package func print(_ e: BoundExpr) -> String {
        switch e.kind {
        case .literal(let v): return Self.literal(v)
        case .column(let i):
            guard i < schema.columns.count else { return "#\(i)" }
            let c = schema.columns[i]
            return c.splice ? "*" : Self.quote(c.name)
        // The base is printed once: printing it twice per level made deep paths exponential.
        case .field(let b, let n):
            let base = print(b)
            return "\(base == "*" ? "" : base + ".")\(Self.quote(n))"
        case .fieldOrText(let b, let n):
            let base = print(b)
            return "\(base == "*" ? "" : base + ".")\"\(n)\""
        case .systemTimestamp: return "System.Timestamp()"
        case .windowId: return "System.Window().Id"
        case .makeRecord(let names, let values):
            return "{" + zip(names, values).map { "\(Self.quote($0)): \(print($1))" }.joined(separator: ", ") + "}"
        case .unary(let op, let x): return op == .not ? "NOT \(wrap(x))" : "\(op.rawValue)\(wrap(x))"
        case .binary(let op, let a, let b): return "\(wrap(a)) \(op.rawValue) \(wrap(b))"
        case .and(let l): return l.map(wrap).joined(separator: " AND ")
        case .or(let l): return l.map(wrap).joined(separator: " OR ")
        case .between(let x, let a, let b, let n): return "\(wrap(x))\(n ? " NOT" : "") BETWEEN \(wrap(a)) AND \(wrap(b))"
        case .like(let x, let p, let n): return "\(wrap(x))\(n ? " NOT" : "") LIKE \(wrap(p))"
        case .inList(let x, let l, let n): return "\(wrap(x))\(n ? " NOT" : "") IN (\(l.map(print).joined(separator: ", ")))"
        case .isNull(let x, let n): return "\(wrap(x)) IS \(n ? "NOT " : "")NULL"
        case .caseWhen(let whens, let e):
            var s = "CASE"
            for w in whens { s += " WHEN \(print(w.condition)) THEN \(print(w.result))" }
            if let e { s += " ELSE \(print(e))" }
            return s + " END"
        case .cast(let x, let t, let isTry): return "\(isTry ? "TRY_CAST" : "CAST")(\(print(x)) AS \(t))"
        case .call(let f, let args):
            let parts = (f.datePart.map { [$0.rawValue] } ?? []) + args.map(print)
            return "\(f.name)(\(parts.joined(separator: ", ")))"
        }
    }

    private func wrap(_ e: BoundExpr) -> String {
        switch e.kind {
        case .binary, .and, .or, .between, .like, .inList, .isNull: return "(\(print(e)))"
        default: return print(e)
        }
    }

    /// A name as SAQL would spell it: bare when it is an identifier, else in brackets. A join's
    /// columns are qualified by their source (`e.Plate`); `$`-names are internal (`e.$time`).
    static func quote(_ name: String) -> String {
        if let property = MetadataProperty(layoutField: name) { return "metadata '\(property)'" }
        func bare(_ part: Substring) -> Bool {
            let body = part.first == "$" ? part.dropFirst() : part
            return !body.isEmpty && body.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(body.first?.isNumber ?? true)
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 2 && bare(parts[0]) && bare(parts[1]) { return name }
        return bare(name[...]) ? name : "[\(name)]"
    }

    package static func literal(_ v: Value) -> String {
        switch v {
        case .null: return "NULL"
        case .bigint(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "'\(s.replacingOccurrences(of: "'", with: "''"))'"
        case .datetime(let t): return "'\(t.iso8601)'"
        case .bit(let b): return b ? "1" : "0"
        case .record: return "{record}"
        case .array: return "[array]"
        }
    }
}
