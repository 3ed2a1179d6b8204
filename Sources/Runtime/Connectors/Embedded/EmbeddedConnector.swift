import Planner

/// `connector = 'embedded'`: events pushed and rows delivered in-process, through the embedding
/// API (``Pipeline/push(_:to:)``, ``PipelineOptions/onRow``). Reference inputs bound to it are
/// fed with ``Pipeline/replaceReference(_:records:)``. Unbound inputs and outputs of an embedded
/// engine use it.
public struct EmbeddedConnector: Connector {
    public init() {}
    public var name: String { "embedded" }

    public func options(for kind: EndpointKind) -> [OptionSpec]? {
        kind == .output ? [] : [OptionSpec("format", .choice(["json", "csv"]), default: "json", "the format of events pushed as text")]
    }

    public func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? { options.format().map(EmbeddedInput.init) }
    public func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? { EmbeddedOutput() }
}

/// Events pushed in-process.
public struct EmbeddedInput: ReferenceSourceEndpoint {
    public var format: DataFormat
    public init(format: DataFormat) { self.format = format }

    public var connector: String { "embedded" }
    public var explainFields: String { "format=\(format.rawValue)" }
    public func makeLoader(_ context: SourceContext) throws -> (() throws -> EventBatch)? { nil }
}

/// Rows handed to the embedder.
public struct EmbeddedOutput: SinkEndpoint {
    public init() {}
    public var connector: String { "embedded" }
    public var explainFields: String { "" }

    public func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let name = c.output, deliver = c.deliver, delivered = c.delivered
        return CallbackWriter(onRow: { deliver?(name, $0, $1) }, onClose: { delivered?(name) })
    }
}
