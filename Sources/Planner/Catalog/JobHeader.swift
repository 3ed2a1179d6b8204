import SAQLParser

/// Bindings and settings given outside the job file (CLI flags or the embedding API).
public struct BindingOverrides: Sendable {
    public var inputs: [String: InputConnector] = [:]
    public var references: [String: InputConnector] = [:]
    public var outputs: [String: OutputConnector] = [:]
    /// Outputs not bound otherwise are written to `outputDirectory/NAME.jsonl`.
    public var outputDirectory: String?
    /// `--set key=value` pairs, applied after the file's own SET statements.
    public var settings: [(String, String)] = []
    /// Values for `${NAME}` in header literals.
    public var environment: [String: String] = [:]
    /// `--dead-letter PATH`: where rejected events go (overrides a `role = 'dead_letter'` output).
    public var deadLetter: OutputConnector?
    /// Unbound inputs and outputs use the embedded connector instead of being errors.
    public var embedded = false
    /// Relative `path` options in the job file resolve against this directory (the job file's own).
    public var jobDirectory: String?
    /// Input schemas known from elsewhere (`saql check --schema-from-sample`): unknown columns of
    /// these inputs are errors, as with CREATE TABLE; types are not enforced.
    public var schemas: [String: [String]] = [:]

    public init() {}
}

/// The job header, interpreted: settings, declared endpoints and input schemas.
public struct JobHeader: Sendable {
    public var settings = JobSettings()
    public var inputs: [InputBinding] = []
    public var outputs: [OutputBinding] = []
    /// The output declared with `role = 'dead_letter'`, if any.
    public var deadLetter: OutputBinding?
    /// `CREATE TABLE` schemas by input name.
    public var tables: [String: [(name: String, type: DataType)]] = [:]
    /// True when the file declares stream inputs (or outputs), so undeclared input (or output) names are errors.
    public var declaresInputs = false
    public var declaresOutputs = false
    /// Lower-cased names of declarations that had errors; references to them report nothing more.
    public var invalidDeclarations: Set<String> = []

    public func input(named name: String) -> InputBinding? { inputs.first { $0.name.caseInsensitiveEquals(name) } }
    public func output(named name: String) -> OutputBinding? { outputs.first { $0.name.caseInsensitiveEquals(name) } }
    public func table(named name: String) -> [(name: String, type: DataType)]? {
        tables.first { $0.key.caseInsensitiveEquals(name) }?.value
    }
}

/// Interprets header statements (`SET`, `CREATE INPUT/OUTPUT/TABLE`) into a ``JobHeader``.
struct HeaderBinder {
    var diagnostics: [Diagnostic] = []
    let environment: [String: String]
    let jobDirectory: String?

    /// `path` relative to the job file's directory, unless absolute.
    func resolvePath(_ path: String) -> String {
        guard let dir = jobDirectory, !dir.isEmpty, !path.hasPrefix("/") else { return path }
        return dir.hasSuffix("/") ? dir + path : dir + "/" + path
    }

    static let inputKeys: [String: Set<String>] = [
        "file": ["connector", "path", "format", "arrival_time", "refresh"],
        "sqlite": ["connector", "path", "query", "table", "refresh"],
        "kafka": ["connector", "brokers", "topic", "group_id", "format", "start", "stop", "state_topic"],
    ]
    static let outputKeys: [String: Set<String>] = [
        "file": ["connector", "path", "format", "role", "date_format", "time_format", "max_file_size"],
        "stdout": ["connector", "format", "role"],
        "kafka": ["connector", "brokers", "topic", "key", "format", "role", "transactional_id"],
        "sqlite": ["connector", "path", "table", "mode", "key", "role"],
    ]

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
            case .with, .select:
                break
            }
        }
        return header
    }

    /// Applies one setting; shared by `SET` statements and `--set` flags.
    mutating func apply(key: String, value: String, range: SourceRange, keyRange: SourceRange, to settings: inout JobSettings) {
        func duration() -> Duration? {
            guard let d = Duration(parsing: value) else {
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

    /// A file output with a time-partitioned path; reports bad tokens and options.
    mutating func partitionedFile(_ path: String, _ format: DataFormat,
                                  _ options: [String: (value: String, range: SourceRange)]) -> PartitionedFileOptions? {
        var o = PartitionedFileOptions(path: path, format: format)
        if let d = options["date_format"] {
            guard let f = PartitionedFileOptions.dateFormat(asa: d.value) else {
                diagnostics.append(.error("SAQL3034", "unsupported date_format '\(d.value)'", at: d.range,
                                          helps: [.init("use one of ASA's: 'YYYY/MM/DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYY-MM-DD', 'DD-MM-YYYY', 'MM-DD-YYYY'")]))
                return nil
            }
            o.dateFormat = f
        }
        if let t = options["time_format"] {
            guard let f = PartitionedFileOptions.timeFormat(asa: t.value) else {
                diagnostics.append(.error("SAQL3034", "unsupported time_format '\(t.value)'", at: t.range,
                                          helps: [.init("use one of ASA's: 'HH', 'HH/mm', 'HH-mm'")]))
                return nil
            }
            o.timeFormat = f
        }
        if let m = options["max_file_size"] {
            guard let bytes = Self.byteSize(m.value), bytes > 0 else {
                diagnostics.append(.error("SAQL3035", "invalid max_file_size '\(m.value)'", at: m.range,
                                          helps: [.init("write sizes as '64MB', '500KB', '1GB' or a number of bytes")]))
                return nil
            }
            o.maxFileBytes = bytes
        }
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let token = rest[rest.index(after: open)..<close]
            let known = token == "date" || token == "time"
                || (token.hasPrefix("datetime:") && token.dropFirst(9).allSatisfy { "yMdHm/-_.".contains($0) } && token.count > 9)
            if !known {
                diagnostics.append(.error("SAQL3036", "unknown path token '{\(token)}'", at: options["path"]?.range ?? .unknown,
                                          helps: [.init("tokens are {date}, {time} and {datetime:FORMAT} with yyyy, MM, dd, HH, mm")]))
                return nil
            }
            rest = rest[rest.index(after: close)...]
        }
        return o
    }

    /// `'64MB'`, `'500KB'`, `'1GB'` or plain bytes.
    static func byteSize(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for (suffix, factor) in [("GB", Int64(1) << 30), ("MB", Int64(1) << 20), ("KB", Int64(1) << 10), ("B", Int64(1))] where t.hasSuffix(suffix) {
            return Int64(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)).map { $0 * factor }
        }
        return Int64(t)
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

    /// The `properties.*` options, without the prefix.
    private func kafkaProperties(_ options: [String: (value: String, range: SourceRange)]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, v) in options where key.hasPrefix("properties.") { out[String(key.dropFirst("properties.".count))] = v.value }
        return out
    }

    private mutating func bindEndpoint(_ c: CreateEndpointStatement, into header: inout JobHeader) {
        let errorsBefore = diagnostics.count
        defer { if diagnostics.count > errorsBefore { header.invalidDeclarations.insert(c.name.text.lowercased()) } }
        var options: [String: (value: String, range: SourceRange)] = [:]
        for o in c.options {
            let key = o.key.text.lowercased()
            if options[key] != nil {
                diagnostics.append(.error("SAQL3009", "option '\(o.key.text)' is given twice", at: o.key.range))
            }
            let value = substitute(o.value)
            options[key] = (key == "path" ? resolvePath(value) : value, o.value.range)
        }
        let isOutput = c.kind == .output
        let table = isOutput ? Self.outputKeys : Self.inputKeys
        guard let connectorOption = options["connector"] else {
            diagnostics.append(.error("SAQL3010", "'\(c.name.text)' needs a connector", at: c.name.range,
                                      helps: [.init("add connector = '\(isOutput ? "file" : "file")' to the WITH list")]))
            return
        }
        let connector = connectorOption.value.lowercased()
        guard let allowed = table[connector] else {
            let known = table.keys.sorted()
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(connector, in: known) { helps.append(.init("did you mean '\(near)'?")) }
            helps.append(.init("connectors are: \(known.joined(separator: ", "))"))
            diagnostics.append(.error("SAQL3011", "unknown connector '\(connectorOption.value)'", at: connectorOption.range, helps: helps))
            return
        }
        // `properties.<librdkafka key>` passes through to the Kafka client.
        for o in c.options where !allowed.contains(o.key.text.lowercased())
            && !(connector == "kafka" && o.key.text.lowercased().hasPrefix("properties.")) {
            var helps: [Diagnostic.Help] = []
            if let near = Suggest.closest(o.key.text.lowercased(), in: Array(allowed)) {
                helps.append(.init("did you mean '\(near)'?", replacing: o.key.range, with: near))
            }
            helps.append(.init("options of the \(connector) connector are: \(allowed.sorted().joined(separator: ", "))"))
            diagnostics.append(.error("SAQL3012", "unknown option '\(o.key.text)' for connector '\(connector)'",
                                      at: o.key.range, helps: helps))
        }
        func format(default path: String?) -> DataFormat? {
            if let f = options["format"] {
                guard let fmt = DataFormat(rawValue: f.value.lowercased()) else {
                    diagnostics.append(.error("SAQL3013", "unknown format '\(f.value)'", at: f.range, helps: [.init("use 'json' or 'csv'")]))
                    return nil
                }
                return fmt
            }
            return path.flatMap(DataFormat.init(path:)) ?? .json
        }
        func required(_ key: String) -> String? {
            guard let v = options[key] else {
                diagnostics.append(.error("SAQL3014", "the \(connector) connector needs '\(key)'", at: c.name.range))
                return nil
            }
            return v.value
        }
        if isOutput {
            let out: OutputConnector?
            switch connector {
            case "file":
                guard let p = required("path"), let fmt = format(default: p) else { return }
                if p.contains("{") {
                    guard let partitioned = partitionedFile(p, fmt, options) else { return }
                    out = .partitionedFile(partitioned)
                } else {
                    out = .file(path: p, format: fmt)
                }
            case "kafka":
                guard let brokers = required("brokers"), let topic = required("topic"), let fmt = format(default: nil) else { return }
                let transactionalId = options["transactional_id"]
                if let t = transactionalId {
                    for other in header.outputs {
                        guard case .kafka(let o) = other.connector, let id = o.transactionalId else { continue }
                        if id != t.value || o.brokers != brokers {
                            diagnostics.append(.error("SAQL3031", "transactional Kafka outputs must share one transactional_id and brokers",
                                                      at: t.range, notes: [.init("'\(other.name)' uses '\(id)' on '\(o.brokers)'", at: other.range)],
                                                      helps: [.init("one transaction covers every output and the input offsets: give all the same transactional_id")]))
                        }
                    }
                }
                out = .kafka(KafkaOutputOptions(brokers: brokers, topic: topic, key: options["key"]?.value, format: fmt,
                                                properties: kafkaProperties(options), transactionalId: transactionalId?.value))
            case "sqlite":
                guard let path = required("path") else { return }
                let modeText = options["mode"]?.value.lowercased() ?? "insert"
                guard let mode = SQLiteOutputOptions.Mode(rawValue: modeText) else {
                    diagnostics.append(.error("SAQL3033", "unknown mode '\(modeText)'", at: options["mode"]?.range ?? c.name.range,
                                              helps: [.init("modes are 'insert' (every row) and 'upsert' (the latest row per key)")]))
                    return
                }
                let key = (options["key"]?.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                if mode == .upsert && key.isEmpty {
                    diagnostics.append(.error("SAQL3032", "mode 'upsert' needs a key", at: options["mode"]?.range ?? c.name.range,
                                              helps: [.init("name the key columns: key = 'DeviceId'")]))
                    return
                }
                out = .sqlite(SQLiteOutputOptions(path: path, table: options["table"]?.value ?? c.name.text, mode: mode, key: key))
            default: out = format(default: nil).map { .stdout(format: $0) }
            }
            if let out {
                if header.output(named: c.name.text) != nil {
                    diagnostics.append(.error("SAQL3015", "output '\(c.name.text)' is declared twice", at: c.name.range))
                }
                let binding = OutputBinding(name: c.name.text, connector: out, range: c.name.range)
                switch options["role"]?.value.lowercased() {
                case nil, "data": header.outputs.append(binding)
                case "dead_letter":
                    if header.deadLetter != nil {
                        diagnostics.append(.error("SAQL3016", "only one output can have role 'dead_letter'", at: c.name.range))
                    }
                    header.deadLetter = binding
                default:
                    diagnostics.append(.error("SAQL3017", "unknown role '\(options["role"]?.value ?? "")'", at: options["role"]?.range ?? c.name.range,
                                              helps: [.init("roles are 'data' (the default) and 'dead_letter'")]))
                }
            }
        } else {
            let kind: InputBinding.Kind = c.kind == .referenceInput ? .reference : .stream
            var refresh: Duration?
            if let r = options["refresh"] {
                if kind != .reference {
                    diagnostics.append(.error("SAQL3018", "'refresh' applies to reference inputs only", at: r.range))
                } else if let d = Duration(parsing: r.value), d.ticks > 0 {
                    refresh = d
                } else {
                    diagnostics.append(.error("SAQL3019", "refresh '\(r.value)' is not a positive duration", at: r.range,
                                              helps: [.init("write a duration such as '30s', '5m' or '1h'")]))
                }
            }
            let input: InputConnector
            switch connector {
            case "kafka":
                guard kind == .stream else {
                    diagnostics.append(.error("SAQL3022", "the kafka connector reads streams, not reference data", at: connectorOption.range))
                    return
                }
                guard let brokers = required("brokers"), let topic = required("topic"), let fmt = format(default: nil) else { return }
                var start = KafkaInputOptions.Start.committed
                if let s = options["start"] {
                    guard let v = KafkaInputOptions.Start(rawValue: s.value.lowercased()) else {
                        diagnostics.append(.error("SAQL3024", "start '\(s.value)' is not one of 'committed', 'earliest', 'latest'", at: s.range))
                        return
                    }
                    start = v
                }
                var stopAtEnd = false
                if let s = options["stop"] {
                    switch s.value.lowercased() {
                    case "end": stopAtEnd = true
                    case "never": stopAtEnd = false
                    default:
                        diagnostics.append(.error("SAQL3025", "stop '\(s.value)' is not supported", at: s.range,
                                                  helps: [.init("stop = 'end' reads each partition to its end, then ends the input; 'never' (the default) runs until stopped")]))
                        return
                    }
                }
                input = .kafka(KafkaInputOptions(brokers: brokers, topic: topic, groupId: options["group_id"]?.value ?? "saql-\(c.name.text)",
                                                 format: fmt, start: start, stopAtEnd: stopAtEnd, properties: kafkaProperties(options),
                                                 stateTopic: options["state_topic"]?.value))
            case "sqlite":
                guard kind == .reference else {
                    diagnostics.append(.error("SAQL3022", "the sqlite connector reads reference data: declare CREATE REFERENCE INPUT",
                                              at: connectorOption.range))
                    return
                }
                guard let path = required("path") else { return }
                let query: String
                switch (options["query"], options["table"]) {
                case (let q?, nil): query = q.value
                case (nil, let t?): query = "SELECT * FROM \"\(t.value.replacingOccurrences(of: "\"", with: "\"\""))\""
                default:
                    diagnostics.append(.error("SAQL3023", "the sqlite connector needs either 'query' or 'table'", at: c.name.range,
                                              helps: [.init("add table = 'devices', or query = 'SELECT ... FROM ...'")]))
                    return
                }
                input = .sqlite(path: path, query: query)
            default:
                guard let path = required("path"), let fmt = format(default: path) else { return }
                input = .file(path: path, format: fmt, arrivalTimeField: options["arrival_time"]?.value)
            }
            if header.input(named: c.name.text) != nil {
                diagnostics.append(.error("SAQL3015", "input '\(c.name.text)' is declared twice", at: c.name.range))
            }
            header.inputs.append(InputBinding(name: c.name.text, kind: kind, connector: input, range: c.name.range, refresh: refresh))
        }
    }
}

import Foundation
