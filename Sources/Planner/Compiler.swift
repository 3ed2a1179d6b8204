import SAQLParser

/// A job that compiled: its source, settings, bindings and both plans.
public struct CompiledJob: Sendable {
    public var source: SourceFile
    public var script: Script
    public var header: JobHeader
    public var logical: LogicalJob
    public var physical: PhysicalPlan
    /// Warnings (a compiled job has no errors).
    public var diagnostics: [Diagnostic]
    public var inputs: [InputBinding]
    public var outputs: [OutputBinding]
    /// Where rejected events go (late, early, out-of-order, malformed, invalid timestamps), if anywhere.
    public var deadLetter: OutputBinding?

    public var settings: JobSettings { logical.settings }
}

/// How strictly bindings are checked.
public enum BindingCheck: Sendable {
    /// `saql check` and `explain`: inputs and outputs may be unbound.
    case lenient
    /// `saql run`: every input and output must be bound (a single unbound output goes to stdout).
    case complete
}

/// Text → tokens → AST → bound logical plan → physical plan, collecting diagnostics at every stage.
public enum Compiler {
    /// Compiles a job file. Returns the job when there are no errors, and every diagnostic either way.
    public static func compile(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides(),
                               check: BindingCheck = .lenient) -> (job: CompiledJob?, diagnostics: [Diagnostic]) {
        let (script, parseDiagnostics) = Parser.parse(source.text)
        var diagnostics = parseDiagnostics
        var headerBinder = HeaderBinder(environment: overrides.environment, jobDirectory: overrides.jobDirectory)
        var header = headerBinder.bind(script)
        for (key, value) in overrides.settings {
            headerBinder.apply(key: key, value: value, range: .unknown, keyRange: .unknown, to: &header.settings)
        }
        diagnostics += headerBinder.diagnostics
        for (input, fields) in overrides.schemas where header.table(named: input) == nil {
            header.tables[input] = fields.map { ($0, DataType.any) }
        }
        for (name, connector) in overrides.references.sorted(by: { $0.key < $1.key }) {
            // `--reference NAME=PATH` declares (or rebinds) a reference input.
            if let i = header.inputs.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
                header.inputs[i].kind = .reference
                header.inputs[i].connector = connector
            } else {
                header.inputs.append(InputBinding(name: name, kind: .reference, connector: connector))
            }
        }
        let deadLetter = overrides.deadLetter.map { OutputBinding(name: "dead_letter", connector: $0) } ?? header.deadLetter
        let (logical, bindDiagnostics) = Binder.bind(script, text: source.text, header: header, keepEvents: deadLetter != nil)
        diagnostics += bindDiagnostics
        if !script.statements.contains(where: { if case .select = $0 { return true } else { return false } }) {
            diagnostics.append(.error("SAQL2000", "the job has no SELECT statement", at: SourceRange(start: script.range.end, end: script.range.end),
                                      helps: [.init("add a query, e.g. SELECT * INTO output FROM input")]))
        }
        let (inputs, outputs, bindingDiagnostics) = resolveBindings(logical, header: header, overrides: overrides, check: check)
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

    /// `state_topic` runs each partition of its input on its own: the job must read only that stream,
    /// and its query must be partition-local (else each partition would give its own groups).
    static func checkPartitionState(_ plan: PhysicalPlan, script: Script) -> [Diagnostic] {
        let sources = plan.nodes.compactMap { node -> InputBinding? in
            if case .source(let b, _) = node.kind { return b }
            return nil
        }
        guard let stateful = sources.first(where: { if case .kafka(let k) = $0.connector { return k.stateTopic != nil } else { return false } })
        else { return [] }
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
            guard case .sink(let b) = node.kind, case .kafka(let k) = b.connector, k.transactionalId != nil else { continue }
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
    public static func header(_ source: SourceFile, overrides: BindingOverrides = BindingOverrides()) -> JobHeader {
        let (script, _) = Parser.parse(source.text)
        var binder = HeaderBinder(environment: overrides.environment, jobDirectory: overrides.jobDirectory)
        var header = binder.bind(script)
        for (name, connector) in overrides.references {
            header.inputs.removeAll { $0.name.caseInsensitiveEquals(name) }
            header.inputs.append(InputBinding(name: name, kind: .reference, connector: connector))
        }
        return header
    }

    /// Binds every input and output the plan uses: CLI/API overrides first, then declarations,
    /// then the output directory; finally the embedded connector or stdout.
    static func resolveBindings(_ job: LogicalJob, header: JobHeader, overrides: BindingOverrides,
                                check: BindingCheck) -> ([InputBinding], [OutputBinding], [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var inputs: [InputBinding] = []
        for name in job.layouts.keys.sorted() {
            if let c = overrides.inputs.first(where: { $0.key.caseInsensitiveEquals(name) })?.value {
                inputs.append(InputBinding(name: name, kind: header.input(named: name)?.kind ?? .stream, connector: c))
            } else if let declared = header.input(named: name) {
                inputs.append(declared)
            } else if overrides.embedded {
                inputs.append(InputBinding(name: name, kind: .stream, connector: .embedded(format: .json)))
            } else if check == .complete {
                diagnostics.append(.error("SAQL3020", "input '\(name)' is not bound", at: .unknown,
                                          helps: [.init("pass --input \(name)=PATH, or declare CREATE INPUT \(name) WITH (connector = 'file', path = '...')")]))
            }
        }
        var outputs: [OutputBinding] = []
        var unbound: [String] = []
        var seen = Set<String>()
        for s in job.statements where seen.insert(s.output.lowercased()).inserted {
            let name = s.output
            if let c = overrides.outputs.first(where: { $0.key.caseInsensitiveEquals(name) })?.value {
                outputs.append(OutputBinding(name: name, connector: c))
            } else if let declared = header.output(named: name) {
                outputs.append(declared)
            } else if let dir = overrides.outputDirectory {
                let path = dir.hasSuffix("/") ? dir + name + ".jsonl" : dir + "/" + name + ".jsonl"
                outputs.append(OutputBinding(name: name, connector: .file(path: path, format: .json)))
            } else if overrides.embedded {
                outputs.append(OutputBinding(name: name, connector: .embedded))
            } else {
                unbound.append(name)
            }
        }
        if unbound.count == 1 {
            outputs.append(OutputBinding(name: unbound[0], connector: .stdout(format: .json)))
        } else if check == .complete {
            for name in unbound {
                diagnostics.append(.error("SAQL3021", "output '\(name)' is not bound", at: .unknown,
                                          helps: [.init("pass --output \(name)=PATH or --output-dir DIR")]))
            }
        }
        return (inputs, outputs, diagnostics)
    }

    /// Drops exact repeats (the same code, message and range), keeping the first.
    static func deduplicated(_ list: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return list.filter { seen.insert($0).inserted }
    }
}
