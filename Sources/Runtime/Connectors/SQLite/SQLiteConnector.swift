import Foundation
import Planner

/// `connector = 'sqlite'`: reference data from a SQLite query or table, and outputs into a SQLite
/// table (insert every row, or upsert the latest row per key).
package struct SQLiteConnector: Connector {
    package init() {}
    package var name: String { "sqlite" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        switch kind {
        case .input: return nil
        case .referenceInput:
            return [OptionSpec("path", .path, "the database file"),
                    OptionSpec("query", "the query giving the table's rows"),
                    OptionSpec("table", "a table whose rows are read whole (instead of query)")]
        case .output:
            return [OptionSpec("path", .path, "the database file, created when absent"),
                    OptionSpec("table", default: "the output's name", "the table, created from the rows when absent"),
                    OptionSpec("mode", .choice(["insert", "upsert"]), default: "insert", "insert every row, or upsert the latest row per key"),
                    OptionSpec("key", .list, "the key columns of mode 'upsert'")]
        }
    }

    package func unsupported(_ kind: EndpointKind) -> String {
        "the sqlite connector reads reference data: declare CREATE REFERENCE INPUT"
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let path = options.required("path", connector: name) else { return nil }
        switch (options["query"], options["table"]) {
        case (let q?, nil): return SQLiteReference(path: path, query: q.value)
        case (nil, let t?): return SQLiteReference(path: path, query: "SELECT * FROM \(SQLiteWriter.quote(t.value))")
        default:
            options.error("SAQL3023", "the sqlite connector needs either 'query' or 'table'",
                          helps: [.init("add table = 'devices', or query = 'SELECT ... FROM ...'")])
            return nil
        }
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let path = options.required("path", connector: name) else { return nil }
        guard let modeText = options.choice("mode", code: "SAQL3033", message: { "unknown mode '\($0.lowercased())'" },
                                            help: "modes are 'insert' (every row) and 'upsert' (the latest row per key)"),
              let mode = SQLiteOutputOptions.Mode(rawValue: modeText) else { return nil }
        let key = options.list("key")
        if mode == .upsert && key.isEmpty {
            options.error("SAQL3032", "mode 'upsert' needs a key", at: "mode", helps: [.init("name the key columns: key = 'DeviceId'")])
            return nil
        }
        return SQLiteOutputOptions(path: path, table: options["table"]?.value ?? options.name, mode: mode, key: key)
    }
}

/// Reference data: the rows of a query.
package struct SQLiteReference: ReferenceSourceEndpoint {
    package var path: String
    package var query: String

    package var connector: String { "sqlite" }
    package var explainFields: String { "path=\(path), query=\(query)" }

    package func sampleColumns() -> [String]? {
        guard FileManager.default.fileExists(atPath: path), let db = try? SQLiteDatabase(path: path, readOnly: true) else { return nil }
        return (try? db.query("SELECT * FROM (\(query)) LIMIT 1").first)?.names
    }

    package func makeLoader(_ c: SourceContext) throws -> (() throws -> EventBatch)? {
        { try EventDecoder.decode(try SQLiteDatabase(path: path, readOnly: true).query(query), layout: c.layout, compatibility: c.compatibility) }
    }
}

/// Where a SQLite output writes and how.
package struct SQLiteOutputOptions: SinkEndpoint {
    package enum Mode: String, Hashable, Sendable, Encodable {
        /// Every row is a new table row.
        case insert
        /// One table row per key: the latest row wins (device state).
        case upsert
    }

    package var path: String
    package var table: String
    package var mode: Mode
    /// The key columns (`upsert`): the table's primary key.
    package var key: [String]

    package init(path: String, table: String, mode: Mode, key: [String]) {
        self.path = path
        self.table = table
        self.mode = mode
        self.key = key
    }

    package var connector: String { "sqlite" }
    package var explainFields: String {
        "path=\(path), table=\(table), mode=\(mode.rawValue)" + (key.isEmpty ? "" : ", key=[\(key.joined(separator: ", "))]")
    }

    /// Outputs to one file share its connection and transaction.
    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let database = try c.resources.resource("sqlite:" + path) { try SQLiteSinkDatabase(path: path) }
        return try SQLiteWriter(output: c.output, options: self, database: database, policy: c.policy, resume: c.resume, start: c.start, context: c.runtime)
    }
}
