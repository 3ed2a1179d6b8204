extension FunctionRegistry {
    /// Grammar.md's function reference: one table of scalar functions and one of aggregates, from
    /// the definitions themselves (a test keeps Grammar.md equal to it).
    package var documentation: String {
        var out = "| function | arguments | result |\n|---|---|---|\n"
        for f in allScalars { out += "| `\(f.name)` | \(Self.arguments(f.signature)) | \(f.doc) |\n" }
        out += "\n| aggregate | arguments | result |\n|---|---|---|\n"
        for a in allAggregates {
            let args: String
            switch a.arguments {
            case .value(_, let star): args = star ? "value, `*` (or nothing), an input, or `DISTINCT` value" : "value"
            case .optionalRow: args = "value or none (the whole event)"
            case .countAndOptionalRow: args = "n, then value or none (the whole event)"
            case .fraction: args = "fraction 0 to 1"
            }
            out += "| `\(a.name)` | \(args)\(a.needsOrder ? ", with ORDER BY" : "") | \(a.doc) |\n"
        }
        return out
    }

    private static func arguments(_ s: FunctionSignature) -> String {
        func word(_ k: ArgumentKind) -> String {
            switch k {
            case .scalar: "scalar"
            case .number: "number"
            case .datetime: "datetime"
            case .eventTime: "datetime (or a source, in a join)"
            case .value: "any value"
            }
        }
        let fixed = s.arity.lowerBound - (s.takesDatePart ? 1 : 0)
        var parts = (s.takesDatePart ? ["datepart"] : []) + (0..<fixed).map { word(s.kind(of: $0)) }
        let upper = s.arity.upperBound - (s.takesDatePart ? 1 : 0)
        if upper > 100 {
            parts.append("...")
        } else if upper > fixed {
            parts += (fixed..<upper).map { "[\(word(s.kind(of: $0)))]" }
        }
        return parts.joined(separator: ", ")
    }
}
