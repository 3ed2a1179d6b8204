import SAQLParser

/// A job that compiled: its source, settings, bindings and both plans.
package struct CompiledJob: Sendable {
    package var source: SourceFile
    package var script: Script
    package var header: JobHeader
    package var logical: LogicalJob
    package var physical: PhysicalPlan
    /// Warnings (a compiled job has no errors).
    package var diagnostics: [Diagnostic]
    package var inputs: [InputBinding]
    package var outputs: [OutputBinding]
    /// Where rejected events go (late, early, out-of-order, malformed, invalid timestamps), if anywhere.
    package var deadLetter: OutputBinding?

    package var settings: JobSettings { logical.settings }
}

/// How strictly bindings are checked.
package enum BindingCheck: Sendable {
    /// `saql check` and `explain`: inputs and outputs may be unbound.
    case lenient
    /// `saql run`: every input and output must be bound (a single unbound output goes to stdout).
    case complete
}

/// Text → tokens → AST → bound logical plan → physical plan, collecting diagnostics at every stage.
package enum Compiler {
    /// Compiles a job file. Returns the job when there are no errors, and every diagnostic either way.
    package static func compile(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides(), check: BindingCheck = .lenient,
                               catalog: Catalog) -> (job: CompiledJob?, diagnostics: [Diagnostic]) {
        let (script, parseDiagnostics) = Parser.parse(source.text)
        var diagnostics = parseDiagnostics
        var headerBinder = HeaderBinder(environment: overrides.environment, jobDirectory: overrides.jobDirectory, catalog: catalog)
        var header = headerBinder.bind(script)
        for (key, value) in overrides.settings {
            headerBinder.apply(key: key, value: value, range: .unknown, keyRange: .unknown, to: &header.settings)
        }
        for (input, fields) in overrides.schemas where header.table(named: input) == nil {
            header.tables[input] = fields.map { ($0, DataType.any) }
        }
        bindReferenceOverrides(overrides, into: &header, binder: &headerBinder)
        header.functions = overrides.functions.filter { f in !header.functions.contains { $0.name.caseInsensitiveEquals(f.name) } }
            + header.functions
        var deadLetter = header.deadLetter
        if let spec = overrides.deadLetter, case .output(let b)? = headerBinder.bind(spec, name: "dead_letter", kind: .output, header: header) {
            deadLetter = b
        }
        diagnostics += headerBinder.diagnostics
        var functions = catalog.functions
        diagnostics += defineUserFunctions(header, catalog: catalog, source: source.text, into: &functions)
        let (logical, bindDiagnostics) = Binder.bind(script, text: source.text, header: header, functions: functions,
                                                     keepEvents: deadLetter != nil)
        // A statement the parser could not read whole binds with holes in it: what the binder says
        // about it follows from the syntax error, so only the syntax error is reported.
        // A statement's text runs to the next statement, so the tokens left over after it count.
        let starts = script.statements.map(\.range.start)
        let extents = starts.indices.map { i in starts[i]..<(i + 1 < starts.count ? starts[i + 1] : .max) }
        let broken = extents.filter { r in parseDiagnostics.contains { $0.severity == .error && r.contains($0.range.start) } }
        diagnostics += bindDiagnostics.filter { d in !broken.contains { $0.contains(d.range.start) } }
        if !script.statements.contains(where: { if case .select = $0 { return true } else { return false } }) {
            diagnostics.append(.error("SAQL2000", "the job has no SELECT statement", at: SourceRange(start: script.range.end, end: script.range.end),
                                      helps: [.init("add a query, e.g. SELECT * INTO output FROM input")]))
        }
        let (inputs, outputs, bindingDiagnostics) = resolveBindings(logical, header: header, overrides: overrides, check: check,
                                                                    binder: &headerBinder)
        diagnostics += bindingDiagnostics
        diagnostics = deduplicated(diagnostics)
        if check == .lenient {
            // Valid ASA that saql cannot run yet (SAQL4xxx): `check` validates the query, so these
            // are warnings there; `run` keeps them errors.
            diagnostics = diagnostics.map { d in
                guard d.code.hasPrefix("SAQL4"), d.severity == .error else { return d }
                var w = d
                w.severity = .warning
                w.notes.append(.init("saql run cannot execute this yet"))
                return w
            }
        }
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        var planner = PhysicalPlanner(job: logical, inputs: inputs)
        let physical = planner.plan(outputs: outputs)
        diagnostics += checkPartitionState(physical, script: script)
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        let job = CompiledJob(source: source, script: script, header: header, logical: logical, physical: physical,
                              diagnostics: diagnostics, inputs: inputs, outputs: outputs, deadLetter: deadLetter)
        return (job, diagnostics)
    }

    /// Compiles the job's `CREATE FUNCTION` declarations, each language once for all of its
    /// functions, and registers them as `UDF.NAME` / `UDA.NAME`.
    static func defineUserFunctions(_ header: JobHeader, catalog: Catalog, source: String, into functions: inout FunctionRegistry) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for language in Set(header.functions.map(\.language)).sorted() {
            guard let definer = catalog.languages[language] else { continue }
            let (scalars, aggregates, problems) = definer.define(header.functions.filter { $0.language == language }, settings: header.settings,
                                                                 source: source)
            diagnostics += problems
            for f in scalars { functions.register(f) }
            for a in aggregates { functions.register(a) }
        }
        return diagnostics
    }

    /// `state_topic` runs each partition of its input on its own: the job must read only that stream,
    /// and its query must be partition-local (else each partition would give its own groups).
    static func checkPartitionState(_ plan: PhysicalPlan, script: Script) -> [Diagnostic] {
        let sources = plan.nodes.compactMap { node -> InputBinding? in
            if case .source(let b, _) = node.kind { return b }
            return nil
        }
        guard let stateful = sources.first(where: { $0.endpoint.stateTopic != nil }) else { return [] }
        // Point at the option where it was written.
        var range = stateful.range
        for case .createEndpoint(let c) in script.statements where c.name.text.caseInsensitiveEquals(stateful.name) {
            range = c.options.first { $0.key.text.caseInsensitiveEquals("state_topic") }?.key.range ?? range
        }
        if sources.count > 1 {
            return [.error("SAQL3037", "state_topic needs '\(stateful.name)' to be the job's only stream input", at: range,
                           helps: [.init("read the other streams in another job, or remove state_topic to run in one process")])]
        }
        for node in plan.nodes {
            guard case .sink(let b) = node.kind, b.endpoint.transaction != nil else { continue }
            return [.error("SAQL3039", "transactional output '\(b.name)' cannot be combined with state_topic yet", at: range,
                           notes: [.init("a partition's state and its outputs would need one transaction")],
                           helps: [.init("remove transactional_id (outputs are then at-least-once), or state_topic")])]
        }
        if let verdict = ScaleOut.analyze(plan), case .spansPartitions(let why) = verdict {
            return [.error("SAQL3038", "state_topic runs each partition on its own, but the query is not partition-local: \(why)",
                           at: range,
                           helps: [.init("group by the column the topic is keyed by (or PartitionId), or remove state_topic")])]
        }
        return []
    }

    /// The job's header as `compile` binds it (declarations, settings, overrides), without the query.
    package static func header(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides(), catalog: Catalog) -> JobHeader {
        let (script, _) = Parser.parse(source.text)
        var binder = HeaderBinder(environment: overrides.environment, jobDirectory: overrides.jobDirectory, catalog: catalog)
        var header = binder.bind(script)
        bindReferenceOverrides(overrides, into: &header, binder: &binder)
        return header
    }

    /// `--reference NAME=PATH` declares (or rebinds) a reference input.
    static func bindReferenceOverrides(_ overrides: BindingOverrides, into header: inout JobHeader, binder: inout HeaderBinder) {
        for (name, spec) in overrides.references.sorted(by: { $0.key < $1.key }) {
            guard case .input(var binding)? = binder.bind(spec, name: name, kind: .referenceInput, header: header) else { continue }
            if let i = header.inputs.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
                binding.name = header.inputs[i].name
                binding.range = header.inputs[i].range
                binding.refresh = header.inputs[i].refresh
                header.inputs[i] = binding
            } else {
                header.inputs.append(binding)
            }
        }
    }

    /// Binds every input and output the plan uses: CLI/API overrides first, then declarations,
    /// then the output directory; finally the embedded connector or stdout.
    static func resolveBindings(_ job: LogicalJob, header: JobHeader, overrides: BindingOverrides, check: BindingCheck,
                                binder: inout HeaderBinder) -> ([InputBinding], [OutputBinding], [Diagnostic]) {
        let before = binder.diagnostics.count
        var diagnostics: [Diagnostic] = []
        var inputs: [InputBinding] = []
        func input(_ spec: EndpointSpec, _ name: String, _ kind: InputBinding.Kind) {
            if case .input(let b)? = binder.bind(spec, name: name, kind: kind == .reference ? .referenceInput : .input, header: header) {
                inputs.append(b)
            }
        }
        for name in job.layouts.keys.sorted() {
            if let spec = overrides.inputs.first(where: { $0.key.caseInsensitiveEquals(name) })?.value {
                input(spec, name, header.input(named: name)?.kind ?? .stream)
            } else if let declared = header.input(named: name) {
                inputs.append(declared)
            } else if overrides.embedded {
                input(.embedded(), name, .stream)
            } else if check == .complete {
                diagnostics.append(.error("SAQL3020", "input '\(name)' is not bound", at: .unknown,
                                          helps: [.init("pass --input \(name)=PATH, or declare CREATE INPUT \(name) WITH (connector = 'file', path = '...')")]))
            }
        }
        var outputs: [OutputBinding] = []
        func output(_ spec: EndpointSpec, _ name: String) {
            if case .output(let b)? = binder.bind(spec, name: name, kind: .output, header: header) { outputs.append(b) }
        }
        var unbound: [String] = []
        var seen = Set<String>()
        for s in job.statements where seen.insert(s.output.lowercased()).inserted {
            let name = s.output
            if let spec = overrides.outputs.first(where: { $0.key.caseInsensitiveEquals(name) })?.value {
                output(spec, name)
            } else if let declared = header.output(named: name) {
                outputs.append(declared)
            } else if let dir = overrides.outputDirectory {
                output(.file(path: dir.hasSuffix("/") ? dir + name + ".jsonl" : dir + "/" + name + ".jsonl", format: .json), name)
            } else if overrides.embedded {
                output(.embedded(), name)
            } else {
                unbound.append(name)
            }
        }
        if unbound.count == 1 {
            output(.stdout(), unbound[0])
        } else if check == .complete {
            for name in unbound {
                diagnostics.append(.error("SAQL3021", "output '\(name)' is not bound", at: .unknown,
                                          helps: [.init("pass --output \(name)=PATH or --output-dir DIR")]))
            }
        }
        return (inputs, outputs, Array(binder.diagnostics[before...]) + diagnostics)
    }

    /// Drops exact repeats (the same code, message and range), keeping the first.
    static func deduplicated(_ list: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return list.filter { seen.insert($0).inserted }
    }
}
