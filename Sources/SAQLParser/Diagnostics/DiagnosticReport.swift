/// The output formats of `saql check`.
package enum DiagnosticFormat: String, CaseIterable, Sendable {
    /// `file:line:col: error[CODE]: message`, the source line and a caret (``DiagnosticRenderer``).
    case text
    /// One JSON document: `{"files": [...], "diagnostics": [{code, severity, message, file, range, notes, helps}]}`.
    case json
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    case sarif
    /// GitHub Actions workflow commands (`::error file=...,line=...::message`), shown as annotations.
    case github
}

/// Diagnostics of several files in one of the ``DiagnosticFormat``s.
///
/// Ranges are given as 1-based lines and columns. JSON and GitHub columns count UTF-8 bytes, as the
/// text format does; SARIF columns count UTF-16 code units, SARIF's default `columnKind`.
package struct DiagnosticReport: Sendable {
    package var files: [(file: SourceFile, diagnostics: [Diagnostic])]
    /// The tool's version, for SARIF's `tool.driver.version`.
    package var toolVersion: String

    /// Each file's diagnostics are ordered by position (those without one last), stably.
    package init(files: [(file: SourceFile, diagnostics: [Diagnostic])], toolVersion: String) {
        self.files = files.map { ($0.file, Self.ordered($0.diagnostics)) }
        self.toolVersion = toolVersion
    }

    package mutating func append(_ file: SourceFile, _ diagnostics: [Diagnostic]) { files.append((file, Self.ordered(diagnostics))) }

    static func ordered(_ list: [Diagnostic]) -> [Diagnostic] {
        list.enumerated().sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }.map(\.element)
    }

    package func render(_ format: DiagnosticFormat, color: Bool = false) -> String {
        switch format {
        case .text: return files.map { DiagnosticRenderer(color: color).render($0.diagnostics, in: $0.file) }.joined()
        case .json: return json()
        case .sarif: return sarif()
        case .github: return github()
        }
    }

    /// Start and end (exclusive end column) of a range, by line and UTF-8 column.
    private func span(_ r: SourceRange, in file: SourceFile) -> (SourceLocation, SourceLocation)? {
        guard !r.isUnknown else { return nil }
        return (file.location(of: r.start), file.location(of: max(r.start, r.end)))
    }

    private func json() -> String {
        var items: [String] = []
        for (file, diagnostics) in files {
            for d in diagnostics {
                var fields = [("code", JSONText.string(d.code)), ("severity", JSONText.string(d.severity.rawValue)),
                              ("message", JSONText.string(d.message)), ("file", JSONText.string(file.name))]
                if let (start, end) = span(d.range, in: file) {
                    fields.append(("range", JSONText.object([
                        ("start", JSONText.object([("line", "\(start.line)"), ("column", "\(start.column)")])),
                        ("end", JSONText.object([("line", "\(end.line)"), ("column", "\(end.column)")])),
                    ])))
                }
                fields.append(("notes", JSONText.array(d.notes.map { n in
                    var f = [("message", JSONText.string(n.message))]
                    if let r = n.range, !r.isUnknown {
                        let l = file.location(of: r.start)
                        f.append(("line", "\(l.line)"))
                        f.append(("column", "\(l.column)"))
                    }
                    return JSONText.object(f)
                })))
                fields.append(("helps", JSONText.array(d.helps.map { h in
                    var f = [("message", JSONText.string(h.message))]
                    if let replacement = h.replacement { f.append(("replacement", JSONText.string(replacement))) }
                    return JSONText.object(f)
                })))
                items.append(JSONText.object(fields))
            }
        }
        let errors = files.reduce(0) { $0 + $1.diagnostics.filter { $0.severity == .error }.count }
        return JSONText.object([("files", JSONText.array(files.map { JSONText.string($0.file.name) })),
                                ("errors", "\(errors)"), ("diagnostics", JSONText.array(items))]) + "\n"
    }

    private func sarif() -> String {
        var rules: [String] = []
        var ruleIndex: [String: Int] = [:]
        var results: [String] = []
        for (file, diagnostics) in files {
            for d in diagnostics {
                if ruleIndex[d.code] == nil {
                    ruleIndex[d.code] = rules.count
                    rules.append(JSONText.object([
                        ("id", JSONText.string(d.code)),
                        ("shortDescription", JSONText.object([("text", JSONText.string(d.message))])),
                    ]))
                }
                var message = d.message
                for h in d.helps { message += "\nhelp: " + h.message }
                var location: [(String, String)] = [("artifactLocation", JSONText.object([("uri", JSONText.string(Self.uri(file.name)))]))]
                let (start, end) = span(d.range, in: file) ?? (SourceLocation(line: 1, column: 1), SourceLocation(line: 1, column: 1))
                location.append(("region", JSONText.object([
                    ("startLine", "\(start.line)"), ("startColumn", "\(Self.utf16Column(start, in: file))"),
                    ("endLine", "\(end.line)"), ("endColumn", "\(Self.utf16Column(end, in: file))"),
                ])))
                results.append(JSONText.object([
                    ("ruleId", JSONText.string(d.code)),
                    ("ruleIndex", "\(ruleIndex[d.code] ?? 0)"),
                    ("level", JSONText.string(d.severity == .error ? "error" : "warning")),
                    ("message", JSONText.object([("text", JSONText.string(message))])),
                    ("locations", JSONText.array([JSONText.object([("physicalLocation", JSONText.object(location))])])),
                ]))
            }
        }
        let driver = JSONText.object([("name", JSONText.string("saql")), ("version", JSONText.string(toolVersion)),
                                      ("rules", JSONText.array(rules))])
        let run = JSONText.object([("tool", JSONText.object([("driver", driver)])), ("columnKind", JSONText.string("utf16CodeUnits")),
                                   ("results", JSONText.array(results))])
        return JSONText.object([("$schema", JSONText.string("https://json.schemastore.org/sarif-2.1.0.json")),
                                ("version", JSONText.string("2.1.0")), ("runs", JSONText.array([run]))]) + "\n"
    }

    /// A relative URI for a path as given (`./a.saql` → `a.saql`); spaces and `%` escaped.
    static func uri(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("./") { p = p.dropFirst(2) }
        var out = ""
        for c in p.unicodeScalars {
            switch c {
            case " ": out += "%20"
            case "%": out += "%25"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A UTF-8 byte column as a 1-based UTF-16 column.
    static func utf16Column(_ l: SourceLocation, in file: SourceFile) -> Int {
        let bytes = Array(file.lineText(l.line).utf8.prefix(l.column - 1))
        return String(decoding: bytes, as: UTF8.self).utf16.count + 1
    }

    private func github() -> String {
        var out = ""
        for (file, diagnostics) in files {
            for d in diagnostics {
                let command = d.severity == .error ? "error" : "warning"
                var props = ["file=\(Self.githubProperty(file.name))"]
                if let (start, end) = span(d.range, in: file) {
                    props += ["line=\(start.line)", "col=\(start.column)", "endLine=\(end.line)", "endColumn=\(end.column)"]
                }
                props.append("title=\(Self.githubProperty(d.code))")
                var message = d.message
                for h in d.helps { message += "\nhelp: " + h.message }
                out += "::\(command) \(props.joined(separator: ","))::\(Self.githubData(message))\n"
            }
        }
        return out
    }

    /// Escaping of workflow command data and properties (as GitHub's toolkit does).
    static func githubData(_ s: String) -> String { escape(s, ["%": "%25", "\r": "%0D", "\n": "%0A"]) }

    static func githubProperty(_ s: String) -> String {
        escape(s, ["%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"])
    }

    private static func escape(_ s: String, _ table: [Character: String]) -> String {
        var out = ""
        for c in s { if let e = table[c] { out += e } else { out.append(c) } }
        return out
    }
}

/// Builds JSON text: strings escaped, objects from ordered fields (values are JSON text already).
package enum JSONText {
    package static func string(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    package static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    package static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
