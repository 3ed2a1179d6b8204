import Foundation
import Planner

/// Writes an output's rows into a SQLite table.
///
/// The table is created from the first row's fields when absent (INTEGER, REAL or TEXT by the
/// value; datetimes as ISO-8601 text, records and arrays as JSON text); an existing table must have
/// every field as a column. `insert` adds every row; `upsert` keeps the latest row per key (the key
/// columns are the table's primary key). Rows written after a checkpoint are removed when a run
/// restores it (`insert`: the rows above the checkpoint's largest rowid; `upsert` rows are simply
/// written again, to the same final state), so the table ends as an uninterrupted run leaves it.
final class SQLiteWriter: RowWriter {
    private let database: SQLiteSinkDatabase
    private let options: SQLiteOutputOptions
    private let output: String
    private let policy: OutputErrorPolicy
    private let context: RuntimeContext
    /// The table's columns, once known (created or found).
    private var columns: [String]?
    private var statements: [[String]: SQLiteStatement] = [:]

    init(output: String, options: SQLiteOutputOptions, database: SQLiteSinkDatabase, policy: OutputErrorPolicy,
         resume: [UInt8]?, start: OutputStart, context: RuntimeContext) throws {
        self.database = database
        self.options = options
        self.output = output
        self.policy = policy
        self.context = context
        columns = try existingColumns()
        let table = Self.quote(options.table)
        if let resume, !resume.isEmpty, options.mode == .insert, columns != nil {
            var r = StateReader(bytes: resume)
            try database.db.execute("DELETE FROM \(table) WHERE rowid > \(try r.readInt64())")
        } else if resume == nil, case .fresh(let fromScratch) = start, options.mode == .insert, columns != nil, try database.owns(options.table) {
            // A table saql created holds rows, and no checkpoint says which: a lost or emptied state
            // directory. Writing on would repeat them.
            let count = try database.db.query("SELECT count(*) AS n FROM \(table)").first?.values.first ?? .bigint(0)
            if case .bigint(let n) = count, n > 0 {
                guard fromScratch else {
                    throw ConnectorError("sqlite output '\(output)': table '\(options.table)' in \(options.path) holds \(n) rows that no checkpoint accounts for "
                        + "(the state directory is new, emptied or lost); writing on would repeat them. "
                        + "Run with --from-scratch to delete them and start over, or point --state at the job's state directory")
                }
                try database.db.execute("DELETE FROM \(table)")
            }
        }
    }

    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private func existingColumns() throws -> [String]? {
        let info = try database.db.query("PRAGMA table_info(\(Self.quote(options.table)))")
        let names = info.compactMap { r -> String? in
            guard let i = r.names.firstIndex(of: "name"), case .string(let n) = r.values[i] else { return nil }
            return n
        }
        return names.isEmpty ? nil : names
    }

    private func createTable(for record: Record) throws -> [String] {
        var defs = record.names.enumerated().map { i, name -> String in
            let type: String = switch record.values[i] {
            case .bigint, .bit: " INTEGER"
            case .float: " REAL"
            case .string, .datetime, .record, .array: " TEXT"
            case .null: ""
            }
            return Self.quote(name) + type
        }
        if options.mode == .upsert {
            for k in options.key where !record.names.contains(where: { $0.caseInsensitiveEquals(k) }) {
                throw ConnectorError("sqlite output '\(output)': the key column '\(k)' is not among the rows' fields (\(record.names.joined(separator: ", ")))")
            }
            defs.append("PRIMARY KEY (\(options.key.map(Self.quote).joined(separator: ", ")))")
        }
        try database.db.execute("CREATE TABLE IF NOT EXISTS \(Self.quote(options.table)) (\(defs.joined(separator: ", ")))")
        try database.markOwned(options.table)
        return record.names
    }

    private func statement(for names: [String]) throws -> SQLiteStatement {
        if let s = statements[names] { return s }
        let table = columns ?? []
        for n in names where !table.contains(where: { $0.caseInsensitiveEquals(n) }) {
            throw ConnectorError("sqlite output '\(output)': table '\(options.table)' in \(options.path) has no column '\(n)' "
                + "(it has \(table.joined(separator: ", "))); drop or rename the table, or change the query")
        }
        var sql = "INSERT INTO \(Self.quote(options.table)) (\(names.map(Self.quote).joined(separator: ", "))) "
            + "VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
        if options.mode == .upsert {
            let updates = names.filter { n in !options.key.contains { $0.caseInsensitiveEquals(n) } }
                .map { "\(Self.quote($0)) = excluded.\(Self.quote($0))" }
            sql += " ON CONFLICT (\(options.key.map(Self.quote).joined(separator: ", "))) "
                + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))")
        }
        do {
            let s = try SQLiteStatement(database.db, sql)
            statements[names] = s
            return s
        } catch let e as ConnectorError {
            throw ConnectorError("sqlite output '\(output)': table '\(options.table)' does not fit the output: \(e.message)"
                + (options.mode == .upsert ? " (upsert needs the key columns as the table's primary key or a unique index)" : ""))
        }
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        let record = shape.record(row)
        var backoff = 0.1
        while true {
            do {
                // Creating the table needs the write lock too: it is retried like the insert.
                if columns == nil { columns = try createTable(for: record) }
                let s = try statement(for: record.names)
                for (i, v) in record.values.enumerated() { s.bind(i + 1, v) }
                try database.willWrite()
                try s.run()
                return
            } catch let e as ConnectorError where e.transient && policy == .retry {
                if context.isStopping() {
                    throw ConnectorError("sqlite output '\(output)': stopped while retrying (\(e.message)); this row and the rows after it were not written")
                }
                context.counters.outputRetries += 1
                context.onRowError?("sqlite output '\(output)': \(e.message) (retrying in \(backoff) s)")
                context.retryPause(seconds: backoff)
                backoff = min(backoff * 2, 30)
            } catch let e as ConnectorError where policy == .drop {
                context.counters.outputErrors += 1
                context.onRowError?("sqlite output '\(output)': row dropped: \(e.message)")
                context.deadLetter?(DeadLetter(reason: .outputError, input: output, detail: e.message, event: record, arrivalTime: nil,
                                               watermark: nil, originalTime: nil, adjustedTime: nil, position: "\(options.path):\(options.table)"))
                return
            }
        }
    }

    func flush() throws { try database.commit() }
    func close() throws { try database.commit() }

    func checkpoint() throws -> [UInt8] {
        try database.commit()
        guard options.mode == .insert else { return [] }
        var w = StateWriter()
        // Before the table exists (no row yet) its largest rowid is 0: a restore removes every row.
        guard columns != nil else { w.write(Int64(0)); return w.bytes }
        let max = try database.db.query("SELECT coalesce(max(rowid), 0) AS m FROM \(Self.quote(options.table))")
        if case .bigint(let m)? = max.first?.values.first { w.write(m) } else { w.write(Int64(0)) }
        return w.bytes
    }
}
