extension Compiler {
    /// Compiles a job against the standard catalog (every built-in connector, function and aggregate).
    public static func compile(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides(),
                               check: BindingCheck = .lenient) -> (job: CompiledJob?, diagnostics: [Diagnostic]) {
        compile(source, overrides: overrides, check: check, catalog: .standard)
    }
}
