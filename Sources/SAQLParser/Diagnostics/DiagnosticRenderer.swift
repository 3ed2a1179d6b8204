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

    /// At most this many diagnostics are shown, then a count of the rest (as compilers' error
    /// limits do): a generated query with thousands of mistakes must not print gigabytes.
    package static let limit = 100
    /// Source lines longer than this many bytes are shown as a window around the caret.
    static let lineWindow = 160

    /// Renders each diagnostic in order; one diagnostic per block, no blank lines.
    package func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        var out = diagnostics.prefix(Self.limit).map { render($0, in: file) }.joined()
        if diagnostics.count > Self.limit {
            let rest = diagnostics.dropFirst(Self.limit)
            let errors = rest.filter { $0.severity == .error }.count
            out += "\(file.name): note: \(rest.count) more diagnostics not shown (\(errors) errors, \(rest.count - errors) warnings)\n"
        }
        return out
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
        var lineBytes = Array(line.utf8)
        var from = min(start.column - 1, lineBytes.count)
        var to = end.line == start.line ? min(end.column, lineBytes.count) : lineBytes.count
        // A very long line (a generated query on one line) is cut to a window around the range,
        // at character boundaries, with "…" where text was left out.
        if lineBytes.count > Self.lineWindow {
            var lo = max(0, from - Self.lineWindow / 2), hi = min(lineBytes.count, max(to, from + 1) + Self.lineWindow / 2)
            while lo > 0 && lineBytes[lo] & 0xC0 == 0x80 { lo -= 1 }
            while hi < lineBytes.count && lineBytes[hi] & 0xC0 == 0x80 { hi += 1 }
            let ellipsis = Array("…".utf8)
            let head = lo > 0 ? ellipsis : [], tail = hi < lineBytes.count ? ellipsis : []
            from = from - lo + head.count
            to = min(to, hi) - lo + head.count
            lineBytes = head + lineBytes[lo..<hi] + tail
        }
        let shown = String(decoding: lineBytes, as: UTF8.self)
        // Columns are bytes, but the terminal shows characters: a multi-byte character takes one
        // place (its continuation bytes none). Tabs indent as tabs so carets align.
        func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
        var indent = ""
        for b in lineBytes[0..<from] where !isContinuation(b) { indent += b == UInt8(ascii: "\t") ? "\t" : " " }
        let width = max(1, lineBytes[from..<max(from, to)].filter { !isContinuation($0) }.count)
        var marker = "^" + String(repeating: "~", count: width - 1)
        if color { marker = paint(marker, "1;32") }
        return " \(number) | \(shown)\n\(pad)| \(indent)\(marker)\n"
    }

    private func paint(_ s: String, _ code: String) -> String { "\u{1B}[\(code)m\(s)\u{1B}[0m" }
}
