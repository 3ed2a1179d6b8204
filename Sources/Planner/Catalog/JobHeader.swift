import SAQLParser

/// Bindings and settings given outside the job file (CLI flags or the embedding API).
package struct BindingOverrides: Sendable {
    package var inputs: [String: EndpointSpec] = [:]
    package var references: [String: EndpointSpec] = [:]
    package var outputs: [String: EndpointSpec] = [:]
    /// Outputs not bound otherwise are written to `outputDirectory/NAME.jsonl`.
    package var outputDirectory: String?
    /// `--set key=value` pairs, applied after the file's own SET statements.
    package var settings: [(String, String)] = []
    /// Values for `${NAME}` in header literals.
    package var environment: [String: String] = [:]
    /// `--dead-letter PATH`: where rejected events go (overrides a `role = 'dead_letter'` output).
    package var deadLetter: EndpointSpec?
    /// Unbound inputs and outputs use the embedded connector instead of being errors.
    package var embedded = false
    /// Relative `path` options in the job file resolve against this directory (the job file's own).
    package var jobDirectory: String?
    /// Input schemas known from elsewhere (`saql check --schema-from-sample`): unknown columns of
    /// these inputs are errors, as with CREATE TABLE; types are not enforced.
    package var schemas: [String: [String]] = [:]
    /// User functions declared outside the job file (an ASA project's `Functions` folder); a
    /// `CREATE FUNCTION` of the same name in the job wins.
    package var functions: [UserFunctionDeclaration] = []

    package init() {}
}

/// The job header, interpreted: settings, declared endpoints and input schemas.
package struct JobHeader: Sendable {
    package var settings = JobSettings()
    package var inputs: [InputBinding] = []
    package var outputs: [OutputBinding] = []
    /// The output declared with `role = 'dead_letter'`, if any.
    package var deadLetter: OutputBinding?
    /// `CREATE TABLE` schemas by input name.
    package var tables: [String: [(name: String, type: DataType)]] = [:]
    /// True when the file declares stream inputs (or outputs), so undeclared input (or output) names are errors.
    package var declaresInputs = false
    package var declaresOutputs = false
    /// Lower-cased names of declarations that had errors; references to them report nothing more.
    package var invalidDeclarations: Set<String> = []
    /// `CREATE FUNCTION` declarations, in order.
    package var functions: [UserFunctionDeclaration] = []

    package func input(named name: String) -> InputBinding? { inputs.first { $0.name.caseInsensitiveEquals(name) } }
    package func output(named name: String) -> OutputBinding? { outputs.first { $0.name.caseInsensitiveEquals(name) } }
    package func table(named name: String) -> [(name: String, type: DataType)]? {
        tables.first { $0.key.caseInsensitiveEquals(name) }?.value
    }
}

/// Interprets header statements (`SET`, `CREATE INPUT/OUTPUT/TABLE`) into a ``JobHeader``.
struct HeaderBinder {
    var diagnostics: [Diagnostic] = []
    let environment: [String: String]
    let jobDirectory: String?
    let catalog: Catalog

    /// `path` relative to the job file's directory, unless absolute.
    func resolvePath(_ path: String) -> String {
        guard let dir = jobDirectory, !dir.isEmpty, !path.hasPrefix("/") else { return path }
        return dir.hasSuffix("/") ? dir + path : dir + "/" + path
    }

    mutating func bind(_ script: Script) -> JobHeader {
        var header = JobHeader()
        for statement in script.statements {
            switch statement {
            case .set(let s):
                apply(key: s.key.text, value: substitute(s.value), range: s.value.range, keyRange: s.key.range,
                      to: &header.settings)
            case .createEndpoint(let c):
                if c.kind == .output { header.declaresOutputs = true } else if c.kind == .input { header.declaresInputs = true }
                bindEndpoint(c, into: &header)
            case .createTable(let t):
                var columns: [(name: String, type: DataType)] = []
                for col in t.columns {
                    guard let type = DataType(typeName: col.type.name) else {
                        diagnostics.append(.error("SAQL3007", "unknown type '\(col.type.name)'", at: col.type.range,
                                                  helps: [.init("types are bigint, float, nvarchar(max), datetime, bit, record and array")]))
                        continue
                    }
                    if columns.contains(where: { $0.name.caseInsensitiveEquals(col.name.text) }) {
                        diagnostics.append(.error("SAQL3008", "duplicate column '\(col.name.text)' in CREATE TABLE", at: col.name.range))
                    }
                    columns.append((col.name.text, type))
                }
                header.tables[t.name.text] = columns
            case .createFunction(let f):
                if let declaration = bindFunction(f, header: header) { header.functions.append(declaration) }
            case .with, .select:
                break
            }
        }
        return header
    }

    /// Applies one setting; shared by `SET` statements and `--set` flags.
    mutating func apply(key: String, value: String, range: SourceRange, keyRange: SourceRange, to settings: inout JobSettings) {
        func duration() -> TimeSpan? {
            guard let d = TimeSpan(parsing: value) else {
                diagnostics.append(.error("SAQL3002", "invalid duration '\(value)' for '\(key)'", at: range,
                                          helps: [.init("write durations as '8s', '500ms', '2m', '1h' or a number of seconds")]))
                return nil
            }
            if d.ticks < 0 {
                diagnostics.append(.error("SAQL3002", "'\(key)' cannot be negative", at: range))
                return nil
            }
            return d
        }
        switch key.lowercased() {
        case "out_of_order_tolerance":
            if let d = duration() { settings.outOfOrderTolerance = d }
        case "late_arrival_tolerance":
            if value.trimmingCharacters(in: .whitespaces) == "-1" { settings.lateArrivalTolerance = nil } else if let d = duration() {
                settings.lateArrivalTolerance = d
            }
        case "out_of_order_policy", "late_arrival_policy":
            guard let p = EventOrderingPolicy(rawValue: value.lowercased()) else {
                diagnostics.append(.error("SAQL3003", "invalid policy '\(value)'", at: range,
                                          helps: [.init("use 'adjust' or 'drop'")]))
                return
            }
            settings.outOfOrderPolicy = p
        case "partition_idle_timeout":
            if let d = duration() { settings.partitionIdleTimeout = d }
        case "checkpoint_dir":
            settings.checkpointDirectory = value
        case "checkpoint_interval":
            if let d = duration() {
                guard d.ticks > 0 else {
                    diagnostics.append(.error("SAQL3002", "'checkpoint_interval' must be positive", at: range))
                    return
                }
                settings.checkpointInterval = d
            }
        case "output_error_policy":
            guard let p = OutputErrorPolicy(rawValue: value.lowercased()) else {
                diagnostics.append(.error("SAQL3003", "invalid output error policy '\(value)'", at: range,
                                          helps: [.init("use 'retry' or 'drop'")]))
                return
            }
            settings.outputErrorPolicy = p
        case "udf_timeout":
            if let d = duration() {
                guard d.ticks > 0 else {
                    diagnostics.append(.error("SAQL3002", "'udf_timeout' must be positive", at: range))
                    return
                }
                settings.udfTimeout = d
            }
        case "max_state":
            guard let bytes = EndpointOptions.byteSize(value), bytes > 0 else {
                diagnostics.append(.error("SAQL3002", "invalid size '\(value)' for 'max_state'", at: range,
                                          helps: [.init("write sizes as '512MB', '2GB' or a number of bytes")]))
                return
            }
            settings.maxState = bytes
        case "replay":
            let v = value.lowercased().trimmingCharacters(in: .whitespaces)
            if v == "realtime" { settings.replaySpeed = 1; return }
            guard v.hasSuffix("x"), let n = Double(v.dropLast()), n > 0, n.isFinite else {
                diagnostics.append(.error("SAQL3002", "invalid replay pace '\(value)'", at: range,
                                          helps: [.init("use 'realtime' or a speed-up such as '10x'")]))
                return
            }
            settings.replaySpeed = n
        case "compatibility_level":
            guard let level = CompatibilityLevel(rawValue: value) else {
                diagnostics.append(.error("SAQL3004", "unsupported compatibility level '\(value)'", at: range,
                                          helps: [.init("use '1.0', '1.1' or '1.2'")]))
                return
            }
            settings.compatibilityLevel = level
        default:
            let known = JobSettings.keys.map(\.key)
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(key, in: known) { helps.append(.init("did you mean '\(near)'?", replacing: keyRange, with: near)) }
            helps.append(.init("settings are: \(known.joined(separator: ", "))"))
            diagnostics.append(.error("SAQL3001", "unknown setting '\(key)'", at: keyRange, helps: helps))
        }
    }

    /// Replaces `${NAME}` with the environment's value (an unset variable is an error) and
    /// `${NAME:-default}` with the value, or the default when it is unset or empty.
    mutating func substitute(_ value: OptionValue) -> String {
        var out = ""
        var rest = Substring(value.text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                out += rest[open.lowerBound...]
                rest = ""
                break
            }
            var name = String(rest[open.upperBound..<close])
            var fallback: String?
            if let dash = name.range(of: ":-") {
                fallback = String(name[dash.upperBound...])
                name = String(name[..<dash.lowerBound])
            }
            if let v = environment[name], !(fallback != nil && v.isEmpty) {
                Secrets.register(v)
                out += v
            } else if let fallback {
                out += fallback
            } else {
                diagnostics.append(.error("SAQL3006", "environment variable '\(name)' is not set", at: value.range,
                                          helps: [.init("export \(name) before running, or pass it with --env")]))
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }


    /// A `CREATE INPUT/REFERENCE INPUT/OUTPUT` declaration, bound through its connector.
    private mutating func bindEndpoint(_ c: CreateEndpointStatement, into header: inout JobHeader) {
        let errorsBefore = diagnostics.count
        defer { if diagnostics.count > errorsBefore { header.invalidDeclarations.insert(c.name.text.lowercased()) } }
        var values: [String: EndpointOptions.Option] = [:]
        for o in c.options {
            let key = o.key.text.lowercased()
            if values[key] != nil {
                diagnostics.append(.error("SAQL3009", "option '\(o.key.text)' is given twice", at: o.key.range))
            }
            values[key] = EndpointOptions.Option(value: substitute(o.value), range: o.value.range, keyRange: o.key.range)
        }
        let kind: EndpointKind = switch c.kind {
        case .output: .output
        case .referenceInput: .referenceInput
        case .input: .input
        }
        let keysWritten = c.options.map { (text: $0.key.text, range: $0.key.range) }
        guard let bound = bind(name: c.name.text, nameRange: c.name.range, kind: kind, values: values, keysWritten: keysWritten,
                               header: header) else { return }
        switch bound {
        case .input(let binding):
            if header.input(named: c.name.text) != nil {
                diagnostics.append(.error("SAQL3015", "input '\(c.name.text)' is declared twice", at: c.name.range))
            }
            header.inputs.append(binding)
        case .output(let binding):
            if header.output(named: c.name.text) != nil {
                diagnostics.append(.error("SAQL3015", "output '\(c.name.text)' is declared twice", at: c.name.range))
            }
            switch values["role"]?.value.lowercased() {
            case nil, "data": header.outputs.append(binding)
            case "dead_letter":
                if header.deadLetter != nil {
                    diagnostics.append(.error("SAQL3016", "only one output can have role 'dead_letter'", at: c.name.range))
                }
                header.deadLetter = binding
            default:
                diagnostics.append(.error("SAQL3017", "unknown role '\(values["role"]?.value ?? "")'", at: values["role"]?.range ?? c.name.range,
                                          helps: [.init("roles are 'data' (the default) and 'dead_letter'")]))
            }
        }
    }

    /// A binding given outside the job file (``BindingOverrides``), bound like a declaration.
    mutating func bind(_ spec: EndpointSpec, name: String, kind: EndpointKind, header: JobHeader) -> Bound? {
        var values: [String: EndpointOptions.Option] = ["connector": .init(value: spec.connector, range: .unknown, keyRange: .unknown)]
        for (k, v) in spec.options { values[k] = .init(value: v, range: .unknown, keyRange: .unknown) }
        return bind(name: name, nameRange: .unknown, kind: kind, values: values, keysWritten: [], header: header, resolvePaths: false)
    }

    /// What a declaration binds to.
    enum Bound {
        case input(InputBinding)
        case output(OutputBinding)
    }

    /// Finds the connector, checks the option keys against its specs, resolves paths, and lets the
    /// connector bind the rest. `keysWritten` are the keys as written, for "unknown option" errors.
    private mutating func bind(name: String, nameRange: SourceRange, kind: EndpointKind, values: [String: EndpointOptions.Option],
                               keysWritten: [(text: String, range: SourceRange)], header: JobHeader, resolvePaths: Bool = true) -> Bound? {
        var values = values
        guard let connectorOption = values["connector"] else {
            diagnostics.append(.error("SAQL3010", "'\(name)' needs a connector", at: nameRange,
                                      helps: [.init("add connector = 'file' to the WITH list")]))
            return nil
        }
        let known = catalog.connectors.names(for: kind)
        guard let connector = catalog.connectors.connector(named: connectorOption.value) else {
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(connectorOption.value.lowercased(), in: known) { helps.append(.init("did you mean '\(near)'?")) }
            helps.append(.init("connectors are: \(known.joined(separator: ", "))"))
            diagnostics.append(.error("SAQL3011", "unknown connector '\(connectorOption.value)'", at: connectorOption.range, helps: helps))
            return nil
        }
        guard let specs = connector.options(for: kind) else {
            diagnostics.append(.error("SAQL3022", connector.unsupported(kind), at: connectorOption.range))
            return nil
        }
        // The header's own options: `role` on outputs, `refresh` on inputs of connectors that serve reference data.
        var allowed = Set(specs.map(\.key) + ["connector"])
        if kind == .output { allowed.insert("role") } else if connector.options(for: .referenceInput) != nil { allowed.insert("refresh") }
        for key in keysWritten where !allowed.contains(key.text.lowercased())
            && !connector.optionPrefixes.contains(where: { key.text.lowercased().hasPrefix($0) }) {
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(key.text.lowercased(), in: Array(allowed)) {
                helps.append(.init("did you mean '\(near)'?", replacing: key.range, with: near))
            }
            let names = allowed.sorted() + connector.optionPrefixes.map { $0 + "<name>" }
            helps.append(.init("options of the \(connector.name) connector are: \(names.joined(separator: ", "))"))
            diagnostics.append(.error("SAQL3012", "unknown option '\(key.text)' for connector '\(connector.name)'", at: key.range, helps: helps))
        }
        if resolvePaths {
            for spec in specs where spec.type == .path {
                if let v = values[spec.key] { values[spec.key]?.value = resolvePath(v.value) }
            }
        }
        var refresh: TimeSpan?
        if let r = values["refresh"] {
            if kind != .referenceInput {
                diagnostics.append(.error("SAQL3018", "'refresh' applies to reference inputs only", at: r.range))
            } else if let d = TimeSpan(parsing: r.value), d.ticks > 0 {
                refresh = d
            } else {
                diagnostics.append(.error("SAQL3019", "refresh '\(r.value)' is not a positive duration", at: r.range,
                                          helps: [.init("write a duration such as '30s', '5m' or '1h'")]))
            }
        }
        var options = EndpointOptions(name: name, nameRange: nameRange, kind: kind, specs: specs, values: values,
                                      declaredOutputs: header.outputs)
        if kind == .output {
            let endpoint = connector.bindOutput(&options)
            diagnostics += options.diagnostics
            guard let endpoint, !options.hasErrors else { return nil }
            return .output(OutputBinding(name: name, endpoint: endpoint, range: nameRange))
        }
        let endpoint = connector.bindInput(&options)
        diagnostics += options.diagnostics
        guard let endpoint, !options.hasErrors else { return nil }
        return .input(InputBinding(name: name, kind: kind == .referenceInput ? .reference : .stream, endpoint: endpoint,
                                   range: nameRange, refresh: refresh))
    }
}
