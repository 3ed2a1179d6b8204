import Planner

/// `connector = 'http'`: POSTs rows as JSON arrays to a webhook, as ASA's Azure Functions output
/// does. A batch holds at most `max_batch_count` rows and `max_batch_size` bytes (ASA's defaults:
/// 100 and 256 KB); an answer of 413 splits it and lowers the limit for later batches. Header values
/// (`headers.Authorization = '${TOKEN}'`) and the URL's query string never appear in EXPLAIN or messages.
package struct HTTPConnector: Connector {
    package init() {}
    package var name: String { "http" }

    /// `headers.<Name>`: sent with every request.
    package var optionPrefixes: [String] { ["headers."] }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        guard kind == .output else { return nil }
        return [
            OptionSpec("url", "the endpoint, http:// or https://, POSTed to"),
            OptionSpec("max_batch_count", .integer, default: "100", "the most rows in one request"),
            OptionSpec("max_batch_size", .byteSize, default: "256KB", "the largest request body"),
            OptionSpec("timeout", .duration, default: "30s", "how long one request may take"),
            OptionSpec("tls.ca_file", .path, "the CA certificate the server's is checked against (default: the system's)"),
        ]
    }

    package func unsupported(_ kind: EndpointKind) -> String { "the http connector writes outputs (a webhook); it reads nothing" }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let url = options.required("url", connector: name) else { return nil }
        let lower = url.lowercased()
        if !(lower.hasPrefix("http://") || lower.hasPrefix("https://")) || url.count <= "https://".count {
            options.error("SAQL3050", "'\(HTTPClient.redacted(url))' is not an http:// or https:// address", at: "url",
                          helps: [.init("write url = 'https://host/path'")])
        }
        let count = options.integer("max_batch_count", code: "SAQL3051", minimum: 1)
        let size = options.byteSize("max_batch_size", code: "SAQL3052") ?? 256 * 1024
        let timeout = options.duration("timeout", code: "SAQL3053")
        guard let count, let timeout, !options.hasErrors else { return nil }
        let headers = options.prefixed("headers.").sorted { $0.key < $1.key }.map { HTTPOutputOptions.Header(name: $0.key, value: $0.value) }
        return HTTPOutputOptions(url: url, maxBatchCount: count, maxBatchSize: Int(min(size, Int64(Int32.max))),
                                 timeoutSeconds: max(1, Int((timeout.ticks + Timestamp.ticksPerSecond - 1) / Timestamp.ticksPerSecond)),
                                 caFile: options["tls.ca_file"]?.value, headers: headers)
    }
}

/// Where an HTTP output POSTs, and its batch limits.
package struct HTTPOutputOptions: SinkEndpoint {
    /// A header sent with every request; its value may be a secret.
    struct Header: Hashable, Sendable {
        var name: String
        var value: String
    }

    var url: String
    var maxBatchCount: Int
    var maxBatchSize: Int
    var timeoutSeconds: Int
    var caFile: String?
    var headers: [Header]

    package var connector: String { "http" }
    package var explainFields: String {
        "url=\(HTTPClient.redacted(url)), max_batch_count=\(maxBatchCount), max_batch_size=\(maxBatchSize)"
            + (headers.isEmpty ? "" : ", headers=[\(headers.map(\.name).joined(separator: ", "))]")
    }

    /// The fingerprint names the endpoint and its limits, not the query string or header values.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(HTTPClient.redacted(url))
        try c.encode(maxBatchCount)
        try c.encode(maxBatchSize)
        try c.encode(headers.map(\.name))
    }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        try HTTPWriter(output: c.output, options: self, policy: c.policy, context: c.runtime)
    }
}
