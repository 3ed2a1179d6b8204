/// Renders diagnostics as compilers print them:
///
/// ```
/// job.saql:7:12: error[SAQL2001]: column 'Temprature' not found in 'Telemetry'
///   7 | SELECT AVG(Temprature) AS avgTemp
///     |            ^~~~~~~~~~
///     = help: did you mean 'Temperature'?
/// ```
///
/// The first line always parses as `file:line:col: severity[CODE]: message`. Output is plain text
/// unless `color` is set.
package struct DiagnosticRenderer: Sendable {
    package var color: Bool

    package init(color: Bool = false) { self.color = color }

    /// Renders each diagnostic in order; one diagnostic per block, no blank lines.
    package func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        diagnostics.map { render($0, in: file) }.joined()
    }

    package func render(_ d: Diagnostic, in file: SourceFile) -> String {
        var out = ""
        let head = "\(d.severity.rawValue)[\(d.code)]"
        let styledHead = color ? paint(head, d.severity == .error ? "1;31" : "1;33") : head
        if d.range.isUnknown {
            out += "\(file.name): \(styledHead): \(d.message)\n"
        } else {
            let loc = file.location(of: d.range.start)
            out += "\(file.name):\(loc.line):\(loc.column): \(styledHead): \(d.message)\n"
            out += excerpt(d.range, in: file)
        }
        let gutter = String(repeating: " ", count: d.range.isUnknown ? 1 : gutterWidth(d.range, file))
        for note in d.notes {
            if let r = note.range, !r.isUnknown {
                let loc = file.location(of: r.start)
                out += "\(gutter)= note: \(note.message) (at \(loc.line):\(loc.column))\n"
            } else {
                out += "\(gutter)= note: \(note.message)\n"
            }
        }
        for help in d.helps {
            out += "\(gutter)= help: \(help.message)\n"
        }
        return out
    }

    /// Spaces before the `|` of the excerpt: one, the line number's width, one.
    private func gutterWidth(_ range: SourceRange, _ file: SourceFile) -> Int {
        String(file.location(of: range.start).line).count + 2
    }

    private func excerpt(_ range: SourceRange, in file: SourceFile) -> String {
        let start = file.location(of: range.start)
        let end = file.location(of: max(range.start, range.end == range.start ? range.end : range.end - 1))
        let line = file.lineText(start.line)
        let number = String(start.line)
        let pad = String(repeating: " ", count: number.count + 2)
        // The caret spans the range on its first line; multi-line ranges mark to the line's end.
        let lineBytes = Array(line.utf8)
        let from = min(start.column - 1, lineBytes.count)
        let to = end.line == start.line ? min(end.column, lineBytes.count) : lineBytes.count
        // Columns are bytes, but the terminal shows characters: a multi-byte character takes one
        // place (its continuation bytes none). Tabs indent as tabs so carets align.
        func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
        var indent = ""
        for b in lineBytes[0..<from] where !isContinuation(b) { indent += b == UInt8(ascii: "\t") ? "\t" : " " }
        let width = max(1, lineBytes[from..<max(from, to)].filter { !isContinuation($0) }.count)
        var marker = "^" + String(repeating: "~", count: width - 1)
        if color { marker = paint(marker, "1;32") }
        return " \(number) | \(line)\n\(pad)| \(indent)\(marker)\n"
    }

    private func paint(_ s: String, _ code: String) -> String { "\u{1B}[\(code)m\(s)\u{1B}[0m" }
}
