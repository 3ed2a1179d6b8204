import Planner

/// `connector = 'stdout'`: rows as JSON Lines or CSV on standard output.
package struct StdoutConnector: Connector {
    package init() {}
    package var name: String { "stdout" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        kind == .output ? [OptionSpec("format", .choice(["json", "csv"]), default: "json", "json or csv")] : nil
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        options.format().map(StdoutOutput.init)
    }
}

/// Standard output.
package struct StdoutOutput: SinkEndpoint, ByteStreamEndpoint {
    package var format: DataFormat
    package init(format: DataFormat) { self.format = format }

    package var connector: String { "stdout" }
    package var explainFields: String { "format=\(format.rawValue)" }

    func makeByteSink(resumeAt: Int64?) throws -> ByteSink { ByteSink(standardOutput: ()) }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        FileFormat.textWriter(format, ByteSink(standardOutput: ()))
    }
}
