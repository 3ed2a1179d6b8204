import SAQLParser

/// The options of one declaration as a connector reads them: keys lower-cased, `${ENV}` already
/// substituted, paths resolved against the job file's directory. Reading an option checks its value
/// against the connector's ``OptionSpec`` and reports a misfit as a diagnostic at the value.
package struct EndpointOptions {
    /// One option's value and where it was written.
    package struct Option: Sendable {
        package var value: String
        package var range: SourceRange
        package var keyRange: SourceRange
    }

    /// The declared endpoint's name and where it was written.
    package let name: String
    package let nameRange: SourceRange
    package let kind: EndpointKind
    /// The connector's option specs for this kind.
    package let specs: [OptionSpec]
    /// Outputs declared before this one (cross-output rules, such as one transaction per job).
    package let declaredOutputs: [OutputBinding]
    private var values: [String: Option]
    /// Problems found so far; the header binder collects them.
    package private(set) var diagnostics: [Diagnostic] = []
    /// True once a problem was reported: a connector binds nothing then.
    package var hasErrors: Bool { !diagnostics.isEmpty }

    init(name: String, nameRange: SourceRange, kind: EndpointKind, specs: [OptionSpec], values: [String: Option],
         declaredOutputs: [OutputBinding]) {
        self.name = name
        self.nameRange = nameRange
        self.kind = kind
        self.specs = specs
        self.values = values
        self.declaredOutputs = declaredOutputs
    }

    package subscript(key: String) -> Option? { values[key] }

    /// The options whose keys start with `prefix`, without it (client properties).
    package func prefixed(_ prefix: String) -> [String: String] {
        var out: [String: String] = [:]
        for (key, o) in values where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = o.value }
        return out
    }

    /// Reports an error at an option's value (or at the declaration's name when the option is absent).
    package mutating func error(_ code: String, _ message: String, at key: String? = nil, notes: [Diagnostic.Note] = [],
                               helps: [Diagnostic.Help] = []) {
        let range = key.flatMap { values[$0]?.range } ?? nameRange
        diagnostics.append(.error(code, message, at: range, notes: notes, helps: helps))
    }

    /// The value of a required option; reports SAQL3014 when it is missing.
    package mutating func required(_ key: String, connector: String) -> String? {
        guard let v = values[key] else {
            error("SAQL3014", "the \(connector) connector needs '\(key)'")
            return nil
        }
        return v.value
    }

    /// `format`, or the one `path`'s extension implies (JSON when neither says).
    package mutating func format(path: String? = nil) -> DataFormat? {
        guard let f = values["format"] else { return path.flatMap(DataFormat.init(path:)) ?? .json }
        guard let format = DataFormat(rawValue: f.value.lowercased()) else {
            error("SAQL3013", "unknown format '\(f.value)'", at: "format", helps: [.init("use 'json' or 'csv'")])
            return nil
        }
        return format
    }

    /// A `.choice` option: one of its words (lower-cased), or its default.
    package mutating func choice(_ key: String, code: String, message: (String) -> String, help: String? = nil) -> String? {
        guard let spec = specs.first(where: { $0.key == key }), case .choice(let words) = spec.type else { return values[key]?.value }
        guard let v = values[key] else { return spec.defaultValue }
        let lower = v.value.lowercased()
        guard words.contains(lower) else {
            error(code, message(v.value), at: key, helps: help.map { [.init($0)] } ?? [])
            return nil
        }
        return lower
    }

    /// A `.byteSize` option: `'64MB'`, `'500KB'`, `'1GB'` or bytes, positive; `nil` when absent or
    /// invalid (reported: see ``hasErrors``).
    package mutating func byteSize(_ key: String, code: String) -> Int64? {
        guard let v = values[key] else { return nil }
        guard let bytes = Self.byteSize(v.value), bytes > 0 else {
            error(code, "invalid \(key) '\(v.value)'", at: key, helps: [.init("write sizes as '64MB', '500KB', '1GB' or a number of bytes")])
            return nil
        }
        return bytes
    }

    /// An `.integer` option, at least `minimum`; its default when absent, `nil` when invalid (reported).
    package mutating func integer(_ key: String, code: String, minimum: Int) -> Int? {
        guard let v = values[key] else { return specs.first(where: { $0.key == key })?.defaultValue.flatMap { Int($0) } }
        guard let n = Int(v.value.trimmingCharacters(in: .whitespaces)), n >= minimum else {
            error(code, "\(key) '\(v.value)' is not a whole number of at least \(minimum)", at: key)
            return nil
        }
        return n
    }

    /// A `.duration` option, positive; its default when absent, `nil` when invalid (reported).
    package mutating func duration(_ key: String, code: String) -> TimeSpan? {
        let text = values[key]?.value ?? specs.first(where: { $0.key == key })?.defaultValue
        guard let text else { return nil }
        guard let d = TimeSpan(parsing: text), d.ticks > 0 else {
            error(code, "\(key) '\(text)' is not a positive duration", at: key, helps: [.init("write a duration such as '30s', '500ms' or '2m'")])
            return nil
        }
        return d
    }

    /// A `.list` option: its comma-separated names, trimmed; empty when absent.
    package func list(_ key: String) -> [String] {
        (values[key]?.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `'64MB'`, `'500KB'`, `'1GB'` or plain bytes.
    static func byteSize(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for (suffix, factor) in [("GB", Int64(1) << 30), ("MB", Int64(1) << 20), ("KB", Int64(1) << 10), ("B", Int64(1))] where t.hasSuffix(suffix) {
            guard let n = Int64(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)) else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow ? nil : bytes
        }
        return Int64(t)
    }
}
