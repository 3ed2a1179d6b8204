/// A binding given outside the job file (a CLI flag, the embedding API, a test): a connector and its
/// options, bound through the same ``Connector`` as a `CREATE INPUT/OUTPUT ... WITH (...)` line.
package struct EndpointSpec: Hashable, Sendable {
    package var connector: String
    /// Option keys (lower case) and values; paths are taken as given.
    package var options: [String: String]

    package init(connector: String, options: [String: String] = [:]) {
        self.connector = connector
        self.options = options
    }

    /// A local file; the format follows the extension unless given.
    package static func file(path: String, format: DataFormat? = nil, arrivalTimeField: String? = nil) -> EndpointSpec {
        var o = ["path": path]
        if let format { o["format"] = format.rawValue }
        if let arrivalTimeField { o["arrival_time"] = arrivalTimeField }
        return EndpointSpec(connector: "file", options: o)
    }

    /// Standard output.
    package static func stdout(format: DataFormat = .json) -> EndpointSpec {
        EndpointSpec(connector: "stdout", options: ["format": format.rawValue])
    }

    /// Events pushed, and rows delivered, in-process through the embedding API.
    package static func embedded(format: DataFormat = .json) -> EndpointSpec {
        EndpointSpec(connector: "embedded", options: ["format": format.rawValue])
    }
}
