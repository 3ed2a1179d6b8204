import SAQLParser

/// What a declaration declares: `CREATE INPUT`, `CREATE REFERENCE INPUT` or `CREATE OUTPUT`.
package enum EndpointKind: String, Hashable, Sendable {
    case input, referenceInput = "reference input", output
}

/// One option a connector reads from its `WITH (...)` list: its key, the type its value must have,
/// its default (for the docs), and a line of documentation.
package struct OptionSpec: Sendable {
    /// How the option's text is read; ``EndpointOptions`` checks it and reports misfits.
    package enum ValueType: Sendable, Equatable {
        case text
        /// A file path: relative paths resolve against the job file's directory.
        case path
        /// A duration: `'30s'`, `'5m'`, or a number of seconds.
        case duration
        /// A byte size: `'64MB'`, `'500KB'`, or a number of bytes.
        case byteSize
        /// A whole number.
        case integer
        /// One of the listed words, case-insensitive.
        case choice([String])
        /// A comma-separated list of names.
        case list
    }

    package var key: String
    package var type: ValueType
    package var defaultValue: String?
    package var doc: String

    package init(_ key: String, _ type: ValueType, default defaultValue: String? = nil, _ doc: String) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
    }

    /// A text option.
    package init(_ key: String, default defaultValue: String? = nil, _ doc: String) {
        self.init(key, .text, default: defaultValue, doc)
    }
}

/// A connector: the one definition of where an input's events come from or where an output's
/// rows go. It names its options, validates a declaration's options with diagnostics, and binds
/// them into an endpoint (``InputEndpoint``, ``OutputEndpoint``) that carries its EXPLAIN text,
/// its scale-out facts and, through the runtime's endpoint protocols, the factory of its source,
/// writer or reference loader.
///
/// A connector is registered once, in a ``ConnectorRegistry`` (the runtime's standard catalog
/// lists the built-in ones); adding one is one new type and one line there.
package protocol Connector: Sendable {
    /// The name written in `connector = '...'`.
    var name: String { get }
    /// The options of a declaration of this kind, or `nil` when the connector cannot serve it
    /// (a reference-only connector as a stream, say). `connector`, `role` (outputs) and `refresh`
    /// (reference inputs) are the header's own and need not be listed.
    func options(for kind: EndpointKind) -> [OptionSpec]?
    /// Option prefixes passed through unchecked (`properties.` for client settings).
    var optionPrefixes: [String] { get }
    /// Binds an input declaration; reports problems through `options` and returns `nil` on error.
    func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)?
    /// Binds an output declaration; reports problems through `options` and returns `nil` on error.
    func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)?
    /// Why a declaration of `kind` is not served, when ``options(for:)`` is `nil` for it (SAQL3022).
    func unsupported(_ kind: EndpointKind) -> String
}

extension Connector {
    package var optionPrefixes: [String] { [] }
    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? { nil }
    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? { nil }
    package func unsupported(_ kind: EndpointKind) -> String { "the \(name) connector cannot be a\(kind == .output ? "n" : "") \(kind.rawValue)" }
}

/// A bound input: everything the planner, EXPLAIN and the runtime need to know about where an
/// input's events come from. Its encoding is part of the plan's fingerprint: encode what identifies
/// the data read, not client settings or secrets. The runtime builds sources and reference loaders from endpoints that
/// also adopt its `StreamSourceEndpoint` or `ReferenceSourceEndpoint` protocols.
package protocol InputEndpoint: Hashable, Sendable, Encodable {
    /// The connector's name, for EXPLAIN and messages.
    var connector: String { get }
    /// EXPLAIN's description after `connector=NAME`, such as `path=..., format=json`. Secrets never
    /// appear here (only the keys of client properties).
    var explainFields: String { get }
    /// The payload format, for events pushed in as text.
    var format: DataFormat { get }
    /// The payload field holding each event's arrival time, if any.
    var arrivalTimeField: String? { get }
    /// True when events have no arrival time of their own, so they arrive at their event time (a
    /// file replayed without `arrival_time`).
    var arrivesAtEventTime: Bool { get }
    /// Whether events carry this GetMetadataPropertyValue property (others read as NULL).
    func provides(_ property: MetadataProperty) -> Bool
    /// The partitioned log this input reads (a Kafka topic), for the scale-out analysis.
    var partitionedTopic: String? { get }
    /// Where the input keeps its state per partition (`state_topic`), when it does.
    var stateTopic: String? { get }
}

extension InputEndpoint {
    package var explainLine: String { explainFields.isEmpty ? "connector=\(connector)" : "connector=\(connector), \(explainFields)" }
    package var format: DataFormat { .json }
    package var arrivalTimeField: String? { nil }
    package var arrivesAtEventTime: Bool { false }
    package func provides(_ property: MetadataProperty) -> Bool { false }
    package var partitionedTopic: String? { nil }
    package var stateTopic: String? { nil }
}

/// A bound output: where rows go. The runtime builds writers from endpoints that also adopt its
/// `SinkEndpoint` protocol.
package protocol OutputEndpoint: Hashable, Sendable, Encodable {
    var connector: String { get }
    /// EXPLAIN's description after `connector=NAME`; never shows secrets.
    var explainFields: String { get }
    /// The transaction this output writes in (`transactional_id`), if any: outputs sharing one
    /// commit together, with the inputs' positions.
    var transaction: String? { get }
}

extension OutputEndpoint {
    package var explainLine: String { explainFields.isEmpty ? "connector=\(connector)" : "connector=\(connector), \(explainFields)" }
    package var transaction: String? { nil }
}

/// An input or output that is not bound yet: `saql check` and `explain` accept it, `run` does not.
package struct UnboundEndpoint: InputEndpoint, OutputEndpoint {
    package init() {}
    package var connector: String { "unbound" }
    package var explainFields: String { "" }
    /// Unknown until bound: no warning about missing metadata.
    package func provides(_ property: MetadataProperty) -> Bool { true }
}
