import SAQLParser

/// Resolves names and types of a parsed job and builds its ``LogicalJob``.
///
/// Inputs are schemaless: the fields a job reads from an input are discovered while binding.
/// Binding therefore runs twice; the first pass only collects field names, so the second pass
/// can give every referenced field its own column, even through `SELECT *` steps.
package struct Binder {
    let script: Script
    let scriptText: String
    let header: JobHeader
    /// The scalar functions and aggregates calls resolve to.
    let functions: FunctionRegistry
    var diagnostics: [Diagnostic] = []

    var ctes: [String: CommonTableExpression] = [:]
    var boundSteps: [String: (plan: LogicalPlan, schema: Schema)] = [:]
    var stepsInProgress: Set<String> = []
    var usedSteps: Set<String> = []
    var layouts: [String: InputLayout] = [:]
    /// Inputs whose whole event record is needed (`*`), found in pass 1.
    var recordWanted: Set<String> = []
    var firstPass = true
    /// Canonical input names by lower-cased name.
    var inputNames: [String: String] = [:]
    /// `System.Window().Id` of the window being bound (inside `Windows(...)`), else NULL.
    var windowIdentifier: Value?
    /// Result columns of the current SELECT's analytic calls, by the call's name range.
    var analyticColumns: [SourceRange: (index: Int, type: DataType)] = [:]
    /// Analytic calls that failed to bind (already reported), so later references stay quiet.
    var failedAnalytics: Set<SourceRange> = []

    package init(script: Script, text: String, header: JobHeader, functions: FunctionRegistry) {
        self.script = script
        self.scriptText = text
        self.header = header
        self.functions = functions
    }

    /// Binds the whole job. Diagnostics from both passes are merged (the second pass's are kept).
    /// - Parameter keepEvents: read every input's whole event (so rejected events can be dead-lettered as they came).
    package static func bind(_ script: Script, text: String, header: JobHeader, functions: FunctionRegistry,
                            keepEvents: Bool = false) -> (LogicalJob, [Diagnostic]) {
        var first = Binder(script: script, text: text, header: header, functions: functions)
        _ = first.bindStatements()
        if keepEvents { first.recordWanted.formUnion(first.layouts.keys) }
        var second = Binder(script: script, text: text, header: header, functions: functions)
        second.firstPass = false
        second.recordWanted = first.recordWanted
        for (name, layout) in first.layouts {
            var l = layout
            l.wantsRecord = first.recordWanted.contains(name)
            second.layouts[name] = l
        }
        second.inputNames = first.inputNames
        let statements = second.bindStatements()
        let job = LogicalJob(statements: statements, layouts: second.layouts, settings: header.settings)
        return (job, second.diagnostics)
    }

    mutating func bindStatements() -> [OutputPlan] {
        for statement in script.statements {
            guard case .with(let list, _) = statement else { continue }
            for cte in list {
                let key = cte.name.text.lowercased()
                if let previous = ctes[key] {
                    diagnostics.append(.error("SAQL2020", "step '\(cte.name.text)' is defined twice", at: cte.name.range,
                                              notes: [.init("first defined here", at: previous.name.range)],
                                              helps: [.init("give each step its own name")]))
                    continue
                }
                if header.input(named: cte.name.text) != nil {
                    diagnostics.append(.error("SAQL2021", "step '\(cte.name.text)' has the same name as an input",
                                              at: cte.name.range))
                }
                ctes[key] = cte
            }
        }
        var plans: [OutputPlan] = []
        for statement in script.statements {
            guard case .select(let query) = statement else { continue }
            let (plan, schema) = bindQuery(query)
            let into = query.first.into
            let output = into?.text ?? "output"
            if let into, header.declaresOutputs, header.output(named: into.text) == nil,
               !header.invalidDeclarations.contains(into.text.lowercased()) {
                var helps: [Diagnostic.Help] = []
                if let near = Suggest.closest(into.text, in: header.outputs.map(\.name)) {
                    helps.append(.init("did you mean '\(near)'?", replacing: into.range, with: near))
                } else {
                    helps.append(.init("declare it: CREATE OUTPUT \(into.text) WITH (connector = 'file', path = '...')"))
                }
                diagnostics.append(.error("SAQL2030", "output '\(into.text)' is not declared", at: into.range, helps: helps))
            }
            _ = schema
            plans.append(OutputPlan(output: header.output(named: output)?.name ?? output, plan: plan, range: query.range))
        }
        // Bind steps nobody reads, so their errors are reported too.
        for statement in script.statements {
            guard case .with(let list, _) = statement else { continue }
            // After a chain too long, the steps beyond it were never reached: not "unused".
            for cte in list where !usedSteps.contains(cte.name.text.lowercased()) && !diagnostics.contains(where: { $0.code == "SAQL2026" }) {
                _ = bindStep(cte)
                diagnostics.append(.warning("SAQL2022", "step '\(cte.name.text)' is never used", at: cte.name.range))
            }
        }
        return plans
    }

    /// Whether "did you mean" is still worth computing: past the diagnostics that are shown
    /// (``DiagnosticRenderer/limit``) a text with thousands of unknown names would spend seconds
    /// on suggestions nobody reads.
    var suggesting: Bool { diagnostics.count < DiagnosticRenderer.limit }

    /// The longest chain of steps each reading the next.
    static let maxStepChain = 100

    mutating func bindStep(_ cte: CommonTableExpression) -> (plan: LogicalPlan, schema: Schema) {
        let key = cte.name.text.lowercased()
        if let done = boundSteps[key] { return done }
        if stepsInProgress.contains(key) {
            diagnostics.append(.error("SAQL2023", "step '\(cte.name.text)' reads itself", at: cte.name.range))
            return (.union([]), Schema(columns: []))
        }
        // Every pass over the plan recurses through the steps a step reads; a chain must not
        // overflow their stacks.
        guard stepsInProgress.count < Self.maxStepChain else {
            diagnostics.append(.error("SAQL2026", "step '\(cte.name.text)' ends a chain of more than \(Self.maxStepChain) steps, each reading the next",
                                      at: cte.name.range, helps: [.init("read an earlier step directly, or merge steps")]))
            return (.union([]), Schema(columns: []))
        }
        stepsInProgress.insert(key)
        let (plan, schema) = bindQuery(cte.query)
        stepsInProgress.remove(key)
        let result = (LogicalPlan.step(name: cte.name.text, input: plan), schema)
        boundSteps[key] = result
        return result
    }

    mutating func bindQuery(_ query: QueryExpression) -> (LogicalPlan, Schema) {
        let cores = query.cores
        if cores.count == 1 { return bindSelect(cores[0]) }
        var branches: [(LogicalPlan, Schema)] = []
        for core in cores {
            if core.into != nil, core != cores[0] {
                diagnostics.append(.error("SAQL2031", "INTO belongs on the first SELECT of a UNION", at: core.into?.range ?? core.range))
            }
            branches.append(bindSelect(core))
        }
        let first = branches[0].1
        for (i, (_, schema)) in branches.enumerated().dropFirst() {
            if schema.isOpen || first.isOpen {
                if schema.columns.map(\.name) != first.columns.map(\.name) {
                    diagnostics.append(.error("SAQL2032", "UNION of SELECT * over differently shaped inputs is not supported",
                                              at: cores[i].range, helps: [.init("list the columns explicitly in each SELECT")]))
                }
            } else if schema.visibleNames.count != first.visibleNames.count {
                diagnostics.append(.error("SAQL2033", "each SELECT of a UNION must have the same number of columns "
                                          + "(\(first.visibleNames.count) and \(schema.visibleNames.count))", at: cores[i].range))
            }
        }
        return (.union(branches.map(\.0)), first)
    }

    // MARK: inputs

    /// The canonical input name for a FROM name that is not a step, registering implicit inputs.
    mutating func inputName(_ name: Name) -> String? {
        if !header.declaresInputs { warnIfNearStep(name) }
        if let known = inputNames[name.text.lowercased()] { return known }
        if let declared = header.input(named: name.text) {
            inputNames[name.text.lowercased()] = declared.name
            return declared.name
        }
        if header.invalidDeclarations.contains(name.text.lowercased()) { return nil }
        if header.declaresInputs {
            var candidates = header.inputs.map(\.name) + ctes.values.map(\.name.text)
            candidates.sort()
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(name.text, in: candidates) {
                helps.append(.init("did you mean '\(near)'?", replacing: name.range, with: near))
            } else {
                helps.append(.init("declare it: CREATE INPUT \(name.text) WITH (connector = 'file', path = '...')"))
            }
            diagnostics.append(.error("SAQL2001", "unknown input or step '\(name.text)'", at: name.range, helps: helps))
            return nil
        }
        inputNames[name.text.lowercased()] = name.text
        return name.text
    }

    /// Undeclared names are inputs; one a typo away from a step is likely meant to be the step,
    /// unless it is read inside that step (`Input1_P AS (SELECT * FROM Input1 ...)`).
    mutating func warnIfNearStep(_ name: Name) {
        guard header.input(named: name.text) == nil, let near = Suggest.closest(name.text, in: ctes.values.map(\.name.text).sorted()),
              !stepsInProgress.contains(near.lowercased()) else { return }
        diagnostics.append(.warning("SAQL2025", "'\(name.text)' is read as an input, but there is a step '\(near)'", at: name.range,
                                    helps: [.init("did you mean '\(near)'?", replacing: name.range, with: near)]))
    }

    /// The layout of an input, created on first use (with CREATE TABLE columns first, when declared).
    mutating func layout(of input: String) -> InputLayout {
        if let l = layouts[input] { return l }
        var l = InputLayout(input: input, fields: [], wantsRecord: false, declaredTypes: [])
        if let table = header.table(named: input) {
            l.fields = table.map(\.name)
            l.declaredTypes = table.map(\.type)
        }
        layouts[input] = l
        return l
    }

    /// The row column of field `name` of `input`, adding the field when the input is schemaless.
    mutating func fieldColumn(_ name: String, of input: String) -> Int? {
        var l = layout(of: input)
        if let i = l.fields.firstIndex(where: { $0.caseInsensitiveEquals(name) }) { return l.column(ofField: i) }
        if header.table(named: input) != nil { return nil }
        l.fields.append(name)
        l.declaredTypes.append(nil)
        layouts[input] = l
        return l.column(ofField: l.fields.count - 1)
    }

    /// The column of a metadata property of `input` (declared schemas included).
    mutating func metadataColumn(_ property: MetadataProperty, of input: String) -> Int {
        var l = layout(of: input)
        if let i = l.fields.firstIndex(of: property.layoutField) { return l.column(ofField: i) }
        l.fields.append(property.layoutField)
        l.declaredTypes.append(nil)
        layouts[input] = l
        return l.column(ofField: l.fields.count - 1)
    }

    /// Marks the inputs behind an open relation as needing their whole event record.
    mutating func wantRecord(of schema: Schema) {
        for origin in schema.origins { recordWanted.insert(origin) }
    }

    /// Registers a field on the inputs behind an open relation (pass 1), so pass 2 gives it a column.
    mutating func registerField(_ name: String, on schema: Schema) {
        for origin in schema.origins { _ = fieldColumn(name, of: origin) }
    }
}
