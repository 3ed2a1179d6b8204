import Planner

/// `connector = 'embedded'`: events pushed and rows delivered in-process, through the embedding
/// API (``Pipeline/push(_:to:)``, ``PipelineOptions/onRow``). Reference inputs bound to it are
/// fed with ``Pipeline/replaceReference(_:records:)``. Unbound inputs and outputs of an embedded
/// engine use it.
package struct EmbeddedConnector: Connector {
    package init() {}
    package var name: String { "embedded" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        kind == .output ? [] : [OptionSpec("format", .choice(["json", "csv"]), default: "json", "the format of events pushed as text")]
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? { options.format().map(EmbeddedInput.init) }
    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? { EmbeddedOutput() }
}

/// Events pushed in-process.
package struct EmbeddedInput: ReferenceSourceEndpoint {
    package var format: DataFormat
    package init(format: DataFormat) { self.format = format }

    package var connector: String { "embedded" }
    package var explainFields: String { "format=\(format.rawValue)" }
    package func makeLoader(_ context: SourceContext) throws -> (() throws -> EventBatch)? { nil }
}

/// Rows handed to the embedder.
package struct EmbeddedOutput: SinkEndpoint {
    package init() {}
    package var connector: String { "embedded" }
    package var explainFields: String { "" }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let name = c.output, deliver = c.deliver, delivered = c.delivered
        return CallbackWriter(onRow: { deliver?(name, $0, $1) }, onClose: { delivered?(name) })
    }
}
