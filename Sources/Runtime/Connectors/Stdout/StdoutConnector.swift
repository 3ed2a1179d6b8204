import Planner

/// `connector = 'stdout'`: rows as JSON Lines or CSV on standard output.
public struct StdoutConnector: Connector {
    public init() {}
    public var name: String { "stdout" }

    public func options(for kind: EndpointKind) -> [OptionSpec]? {
        kind == .output ? [OptionSpec("format", .choice(["json", "csv"]), default: "json", "json or csv")] : nil
    }

    public func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        options.format().map(StdoutOutput.init)
    }
}

/// Standard output.
public struct StdoutOutput: SinkEndpoint, ByteStreamEndpoint {
    public var format: DataFormat
    public init(format: DataFormat) { self.format = format }

    public var connector: String { "stdout" }
    public var explainFields: String { "format=\(format.rawValue)" }

    func makeByteSink(resumeAt: Int64?) throws -> ByteSink { ByteSink(standardOutput: ()) }

    public func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let sink = ByteSink(standardOutput: ())
        return format == .csv ? CSVWriter(sink: sink) : JSONLinesWriter(sink: sink)
    }
}
