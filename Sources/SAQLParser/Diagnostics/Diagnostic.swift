/// How serious a ``Diagnostic`` is. Errors stop a job from compiling; warnings do not.
package enum Severity: String, Sendable, Hashable, Comparable {
    case error, warning, note

    package static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    private var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
}

/// A problem found in a job's text, located by a byte range, with optional notes and fixes.
///
/// `code` is stable across releases (`SAQL1xxx` syntax, `SAQL2xxx` binding and types,
/// `SAQL3xxx` job header, `SAQL4xxx` planning). Messages are lowercase and name identifiers in quotes.
package struct Diagnostic: Hashable, Sendable, Error {
    /// A secondary message attached to a diagnostic, optionally pointing at its own range.
    package struct Note: Hashable, Sendable {
        package var message: String
        package var range: SourceRange?
        package init(_ message: String, at range: SourceRange? = nil) {
            self.message = message
            self.range = range
        }
    }

    /// A suggested fix: a message and, where the fix is mechanical, the text replacing `range`.
    package struct Help: Hashable, Sendable {
        package var message: String
        package var range: SourceRange?
        package var replacement: String?
        package init(_ message: String, replacing range: SourceRange? = nil, with replacement: String? = nil) {
            self.message = message
            self.range = range
            self.replacement = replacement
        }
    }

    package var severity: Severity
    package var code: String
    package var message: String
    package var range: SourceRange
    package var notes: [Note]
    package var helps: [Help]

    package init(_ severity: Severity, _ code: String, _ message: String, at range: SourceRange,
                notes: [Note] = [], helps: [Help] = []) {
        self.severity = severity
        self.code = code
        self.message = message
        self.range = range
        self.notes = notes
        self.helps = helps
    }

    package static func error(_ code: String, _ message: String, at range: SourceRange,
                             notes: [Note] = [], helps: [Help] = []) -> Diagnostic {
        Diagnostic(.error, code, message, at: range, notes: notes, helps: helps)
    }

    package static func warning(_ code: String, _ message: String, at range: SourceRange,
                               notes: [Note] = [], helps: [Help] = []) -> Diagnostic {
        Diagnostic(.warning, code, message, at: range, notes: notes, helps: helps)
    }

    package func withHelp(_ help: Help) -> Diagnostic {
        var copy = self
        copy.helps.append(help)
        return copy
    }
}

extension Array where Element == Diagnostic {
    /// True when any diagnostic is an error.
    package var hasErrors: Bool { contains { $0.severity == .error } }
}
