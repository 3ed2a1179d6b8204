import SAQLParser

/// One error or warning about a job, as ``Engine/check(job:name:functions:referenceInputs:)`` and
/// ``SAQLError/compile(_:)`` report it.
public struct CompileDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    /// The stable code (`SAQL2005`), as Grammar.md lists them.
    public var code: String
    public var severity: Severity
    public var message: String
    /// Where it points, 1-based; 0 when it concerns the job as a whole.
    public var line: Int
    public var column: Int
    /// The full report: `file:line:col: error[CODE]: message`, the source line, a caret, notes and helps.
    public var rendered: String

    public var description: String { rendered }

    /// The diagnostics worth reporting (errors and warnings), rendered against `source`.
    static func all(_ diagnostics: [Diagnostic], in source: SourceFile) -> [CompileDiagnostic] {
        let renderer = DiagnosticRenderer()
        return diagnostics.filter { $0.severity != .note }.map { d in
            let at = d.range == .unknown ? nil : source.location(of: d.range.start)
            return CompileDiagnostic(code: d.code, severity: d.severity == .error ? .error : .warning, message: d.message,
                                     line: at?.line ?? 0, column: at?.column ?? 0, rendered: renderer.render([d], in: source))
        }
    }
}
