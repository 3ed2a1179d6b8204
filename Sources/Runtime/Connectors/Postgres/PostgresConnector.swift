import Planner

/// `connector = 'postgres'`: outputs into a PostgreSQL table (insert every row, or upsert the latest
/// row per key), with rows and the job's checkpoint committed in one transaction; and reference
/// data from a query. `url` is a libpq connection string (`postgresql://user:pw@host:5432/db?sslmode=require`),
/// usually `'${PG_URL}'`: TLS settings and passwords pass straight to libpq and never appear in
/// EXPLAIN or messages.
package struct PostgresConnector: Connector {
    package init() {}
    package var name: String { "postgres" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        let url = OptionSpec("url", "the libpq connection string or postgresql:// URL (sslmode and password pass through)")
        switch kind {
        case .input: return nil
        case .referenceInput:
            return [url, OptionSpec("query", "the query giving the table's rows"),
                    OptionSpec("table", "a table whose rows are read whole (instead of query)")]
        case .output:
            return [url, OptionSpec("table", default: "the output's name", "the table, created from the rows when absent"),
                    OptionSpec("mode", .choice(["insert", "upsert"]), default: "insert", "insert every row, or upsert the latest row per key"),
                    OptionSpec("key", .list, "the key columns of mode 'upsert'")]
        }
    }

    package func unsupported(_ kind: EndpointKind) -> String {
        "the postgres connector reads reference data: declare CREATE REFERENCE INPUT"
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let url = options.required("url", connector: name) else { return nil }
        switch (options["query"], options["table"]) {
        case (let q?, nil): return PostgresReference(url: url, query: q.value)
        case (nil, let t?): return PostgresReference(url: url, query: "SELECT * FROM \(PostgresWriter.quote(t.value))")
        default:
            options.error("SAQL3023", "the postgres connector needs either 'query' or 'table'",
                          helps: [.init("add table = 'devices', or query = 'SELECT ... FROM ...'")])
            return nil
        }
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let url = options.required("url", connector: name) else { return nil }
        guard let modeText = options.choice("mode", code: "SAQL3033", message: { "unknown mode '\($0.lowercased())'" },
                                            help: "modes are 'insert' (every row) and 'upsert' (the latest row per key)"),
              let mode = SQLiteOutputOptions.Mode(rawValue: modeText) else { return nil }
        let key = options.list("key")
        if mode == .upsert && key.isEmpty {
            options.error("SAQL3032", "mode 'upsert' needs a key", at: "mode", helps: [.init("name the key columns: key = 'DeviceId'")])
            return nil
        }
        return PostgresOutput(url: url, table: options["table"]?.value ?? options.name, mode: mode, key: key)
    }
}

/// Reference data: the rows of a PostgreSQL query, reloaded every `refresh`.
package struct PostgresReference: ReferenceSourceEndpoint {
    package var url: String
    package var query: String

    package var connector: String { "postgres" }
    package var explainFields: String { "url=\(PostgresURL.redacted(url)), query=\(query)" }

    /// The fingerprint names the server and the query, not the password.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(PostgresURL.redacted(url))
        try c.encode(query)
    }

    package func sampleColumns() -> [String]? {
        guard let c = try? PostgresConnection(url: url), let r = try? c.records("SELECT * FROM (\(query)) AS q LIMIT 1") else { return nil }
        return r.columns
    }

    package func makeLoader(_ c: SourceContext) throws -> (() throws -> EventBatch)? {
        { [url, query] in
            do {
                let connection = try PostgresConnection(url: url)
                return try EventDecoder.decode(try connection.records(query).rows, layout: c.layout, compatibility: c.compatibility)
            } catch let e as PostgresError {
                throw e.connectorError
            }
        }
    }
}

/// Where a PostgreSQL output writes and how.
package struct PostgresOutput: SinkEndpoint {
    package var url: String
    package var table: String
    package var mode: SQLiteOutputOptions.Mode
    /// The key columns (`upsert`): the table's primary key or a unique index.
    package var key: [String]

    package var connector: String { "postgres" }
    package var explainFields: String {
        "url=\(PostgresURL.redacted(url)), table=\(table), mode=\(mode.rawValue)" + (key.isEmpty ? "" : ", key=[\(key.joined(separator: ", "))]")
    }

    /// The fingerprint names the server, table, mode and key, not the password.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(PostgresURL.redacted(url))
        try c.encode(table)
        try c.encode(mode)
        try c.encode(key)
    }

    /// Outputs to one database share its connection and transaction. A checkpointed job writes to
    /// one database only: rows in two databases could not commit with its checkpoint together.
    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let checkpointed: Bool
        if case .plain = c.start { checkpointed = false } else { checkpointed = true }
        if checkpointed, let other = c.resources.all.compactMap({ $0 as? PostgresSinkDatabase }).first(where: { $0.url != url }) {
            throw ConnectorError("postgres output '\(c.output)' writes to \(PostgresURL.redacted(url)) and another output to "
                + "\(PostgresURL.redacted(other.url)): a job with --state commits its rows and checkpoint in one PostgreSQL transaction, "
                + "so its postgres outputs must share one database (url)")
        }
        let database = try c.resources.resource("postgres:" + url) {
            PostgresSinkDatabase(url: url, checkpointed: checkpointed, policy: c.policy, context: c.runtime)
        }
        do {
            return try PostgresWriter(output: c.output, options: self, database: database, policy: c.policy,
                                      resume: c.resume, start: c.start, context: c.runtime)
        } catch let e as PostgresError {
            throw e.connectorError
        }
    }
}
