import Planner
import Runtime
import SAQLParser

extension Compiler {
    /// Compiles a job against the standard catalog (every built-in connector, function and aggregate).
    package static func compile(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides(),
                               check: BindingCheck = .lenient) -> (job: CompiledJob?, diagnostics: [Diagnostic]) {
        compile(source, overrides: overrides, check: check, catalog: .standard)
    }
}

/// A job that failed to compile, with its diagnostics rendered against the source (for tests and
/// tools in the package; embedders get ``SAQLError/compile(_:)``).
package struct CompileFailure: Error, CustomStringConvertible, Sendable {
    package var diagnostics: [Diagnostic]
    package var source: SourceFile
    package init(diagnostics: [Diagnostic], source: SourceFile) {
        self.diagnostics = diagnostics
        self.source = source
    }
    package var description: String { DiagnosticRenderer().render(diagnostics, in: source) }
}
