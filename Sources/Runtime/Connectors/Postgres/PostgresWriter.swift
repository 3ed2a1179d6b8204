import Collections
import Planner

/// Writes an output's rows into a PostgreSQL table, in the transactions of its
/// ``PostgresSinkDatabase``.
///
/// Rows are kept until the database commits (so a lost connection can replay them). `insert` sends
/// them with COPY; `upsert` keeps the latest row per key and sends multi-row
/// `INSERT ... ON CONFLICT (key) DO UPDATE`. A table that does not exist is created from the first
/// row's values (BIGINT, DOUBLE PRECISION, BOOLEAN, TEXT, TIMESTAMPTZ, JSONB for records and
/// arrays; `upsert`'s key is the primary key); an existing table must have a column for every field.
final class PostgresWriter: RowWriter {
    let output: String
    let table: String
    private let options: PostgresOutput
    private let database: PostgresSinkDatabase
    private let policy: OutputErrorPolicy
    private let context: RuntimeContext
    /// The table's columns once it exists; nil before the first row creates it.
    private var columns: [String]?
    /// Rows since the last commit (`insert`), or the latest row per key (`upsert`).
    private var rows: [Record] = []
    private var latest: OrderedDictionary<[String?], Record> = [:]

    init(output: String, options: PostgresOutput, database: PostgresSinkDatabase, policy: OutputErrorPolicy,
         resume: [UInt8]?, start: OutputStart, context: RuntimeContext) throws {
        self.output = output
        table = options.table
        self.options = options
        self.database = database
        self.policy = policy
        self.context = context
        columns = try existingColumns()
        let progress = try database.progress(of: table)
        if let resume, !resume.isEmpty {
            var r = StateReader(bytes: resume)
            let seq = try r.readInt64()
            guard let progress else {
                throw StateError("postgres output '\(output)': \(database.name) has no progress row for table '\(table)', "
                    + "which the checkpoint says holds commit \(seq): the table's progress was deleted; run with --from-scratch to start over")
            }
            if progress.seq > seq, !progress.state.isEmpty { throw NewerCheckpoint(state: progress.state, source: "postgres output '\(output)'") }
            guard progress.seq == seq else {
                throw StateError("postgres output '\(output)': table '\(table)' in \(database.name) is at commit \(progress.seq), the checkpoint at \(seq): "
                    + "the database changed since the checkpoint (restored from a backup?); run with --from-scratch to start over")
            }
            database.resume(at: seq)
        } else if case .fresh(let fromScratch) = start, let progress {
            if fromScratch {
                if columns != nil { try database.connected().execute("TRUNCATE \(Self.quote(table))") }
                try database.connected().execute("DELETE FROM saql_progress WHERE table_name = $1", parameters: [table])
            } else if !progress.state.isEmpty {
                throw NewerCheckpoint(state: progress.state, source: "postgres output '\(output)'")
            } else if columns != nil, let n = try database.connected().execute("SELECT count(*) FROM \(Self.quote(table))").first?.first ?? nil,
                      n != "0" {
                throw ConnectorError("postgres output '\(output)': table '\(table)' in \(database.name) holds \(n) rows that no checkpoint accounts for "
                    + "(written by a run without --state); writing on would repeat them. "
                    + "Run with --from-scratch to empty it and start over, or point --state at the job's state directory")
            } else {
                database.resume(at: progress.seq)
            }
        } else if let progress {
            database.resume(at: progress.seq)
        }
        database.add(self)
    }

    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private func existingColumns() throws -> [String]? {
        let rows = try database.connected().execute("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """, parameters: [table])
        let names = rows.compactMap { $0.first ?? nil }
        return names.isEmpty ? nil : names
    }

    var hasPending: Bool { !rows.isEmpty || !latest.isEmpty }

    func write(_ row: RowRef, shape: RowShape) throws {
        let record = shape.record(row)
        if options.mode == .upsert {
            var key: [String?] = []
            for k in options.key {
                guard let i = record.names.firstIndex(where: { $0.caseInsensitiveEquals(k) }) else {
                    throw ConnectorError("postgres output '\(output)': the key column '\(k)' is not among the rows' fields (\(record.names.joined(separator: ", ")))")
                }
                key.append(Self.text(record.values[i]))
            }
            // The latest row per key wins, in the order keys first appeared.
            latest[key] = record
            if !database.checkpointed && latest.count >= PostgresSinkDatabase.commitRows { try database.commitPlain() }
        } else {
            rows.append(record)
            if rows.count >= PostgresSinkDatabase.commitRows {
                if !database.checkpointed { try database.commitPlain() } else if rows.count >= PostgresSinkDatabase.checkpointRows { context.checkpointWanted = true }
            }
        }
    }

    /// Sends the pending rows in the open transaction (creating the table first if needed).
    func send(on c: PostgresConnection) throws {
        let pending = options.mode == .upsert ? Array(latest.values) : rows
        guard let first = pending.first else { return }
        if columns == nil { try createTable(for: first, on: c) }
        var i = 0
        while i < pending.count {
            // One statement per run of rows with the same fields.
            let names = pending[i].names
            var j = i
            while j < pending.count && pending[j].names == names { j += 1 }
            try checkColumns(names)
            if options.mode == .upsert { try upsert(pending[i..<j], names: names, on: c) } else { try copy(pending[i..<j], names: names, on: c) }
            i = j
        }
    }

    /// After a failed transaction under policy `drop`: tries each pending row alone (in a
    /// transaction rolled back afterwards), and dead-letters those the table refuses.
    func dropRefusedRows(on c: PostgresConnection) throws {
        let pending = options.mode == .upsert ? Array(latest.values) : rows
        guard let first = pending.first else { return }
        var refused: Set<Int> = []
        try c.execute("BEGIN")
        if columns == nil { try createTable(for: first, on: c) }
        for (i, record) in pending.enumerated() {
            try c.execute("SAVEPOINT saql_row")
            do {
                try checkColumns(record.names)
                if options.mode == .upsert { try upsert(pending[i...i], names: record.names, on: c) } else { try copy(pending[i...i], names: record.names, on: c) }
            } catch let e as PostgresError where e.isDataError {
                try c.execute("ROLLBACK TO SAVEPOINT saql_row")
                refused.insert(i)
                context.counters.outputErrors += 1
                context.onRowError?("postgres output '\(output)': row dropped: \(e.message)")
                context.deadLetter?(DeadLetter(reason: .outputError, input: output, detail: e.message, event: record, arrivalTime: nil,
                                               watermark: nil, originalTime: nil, adjustedTime: nil, position: "\(database.name):\(table)"))
            }
        }
        try c.execute("ROLLBACK")
        if options.mode == .upsert {
            let keys = Array(latest.keys)
            for i in refused { latest[keys[i]] = nil }
        } else {
            rows = rows.enumerated().filter { !refused.contains($0.offset) }.map(\.element)
        }
        // The table made in the probe was rolled back with it.
        columns = try existingColumns()
    }

    /// The database committed the pending rows.
    func committed() {
        rows.removeAll(keepingCapacity: true)
        latest.removeAll(keepingCapacity: true)
    }

    private func createTable(for record: Record, on c: PostgresConnection) throws {
        var defs = record.names.enumerated().map { i, name -> String in
            let type = switch record.values[i] {
            case .bigint: "BIGINT"
            case .float: "DOUBLE PRECISION"
            case .bit: "BOOLEAN"
            case .datetime: "TIMESTAMPTZ"
            case .record, .array: "JSONB"
            case .string, .null: "TEXT"
            }
            return Self.quote(name) + " " + type
        }
        if options.mode == .upsert {
            defs.append("PRIMARY KEY (\(options.key.map(Self.quote).joined(separator: ", ")))")
        }
        try c.execute("CREATE TABLE IF NOT EXISTS \(Self.quote(table)) (\(defs.joined(separator: ", ")))")
        columns = record.names
    }

    private func checkColumns(_ names: [String]) throws {
        let have = columns ?? []
        let missing = names.filter { n in !have.contains { $0.caseInsensitiveEquals(n) } }
        guard missing.isEmpty else {
            throw ConnectorError("postgres output '\(output)': table '\(table)' in \(database.name) has no column "
                + missing.map { "'\($0)'" }.joined(separator: ", ") + " (it has \(have.joined(separator: ", "))); "
                + "add the columns, drop or rename the table, or change the query")
        }
    }

    /// The table's own spelling of each field's column.
    private func columnList(_ names: [String]) -> String {
        names.map { n in Self.quote(columns?.first { $0.caseInsensitiveEquals(n) } ?? n) }.joined(separator: ", ")
    }

    private func copy(_ batch: ArraySlice<Record>, names: [String], on c: PostgresConnection) throws {
        var data: [UInt8] = []
        data.reserveCapacity(batch.count * 64)
        for record in batch {
            for (i, v) in record.values.enumerated() {
                if i > 0 { data.append(0x09) }
                guard let text = Self.text(v) else { data.append(contentsOf: [0x5C, 0x4E]); continue }  // \N
                for b in text.utf8 {
                    switch b {
                    case 0x5C: data.append(contentsOf: [0x5C, 0x5C])
                    case 0x0A: data.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: data.append(contentsOf: [0x5C, 0x72])
                    case 0x09: data.append(contentsOf: [0x5C, 0x74])
                    default: data.append(b)
                    }
                }
            }
            data.append(0x0A)
        }
        try c.copy("COPY \(Self.quote(table)) (\(columnList(names))) FROM STDIN", data: data)
    }

    private func upsert(_ batch: ArraySlice<Record>, names: [String], on c: PostgresConnection) throws {
        let perStatement = max(1, 30_000 / max(1, names.count))
        let updates = names.filter { n in !options.key.contains { $0.caseInsensitiveEquals(n) } }
            .map { "\(Self.quote($0)) = EXCLUDED.\(Self.quote($0))" }
        let conflict = " ON CONFLICT (\(options.key.map(Self.quote).joined(separator: ", "))) "
            + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))")
        var start = batch.startIndex
        while start < batch.endIndex {
            let end = min(batch.endIndex, start + perStatement)
            var parameters: [String?] = []
            var tuples: [String] = []
            for record in batch[start..<end] {
                tuples.append("(" + record.values.map { v in
                    parameters.append(Self.text(v))
                    return "$\(parameters.count)"
                }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(Self.quote(table)) (\(columnList(names))) VALUES \(tuples.joined(separator: ", "))" + conflict
            do { try c.execute(sql, parameters: parameters) } catch let e as PostgresError where e.sqlState == "42P10" {
                throw ConnectorError("postgres output '\(output)': table '\(table)' has no primary key or unique index on "
                    + "(\(options.key.joined(separator: ", "))), which mode 'upsert' needs: \(e.message)")
            }
            start = end
        }
    }

    /// A value as PostgreSQL's text input reads it; nil for NULL.
    static func text(_ v: Value) -> String? {
        switch v {
        case .null: nil
        case .bigint(let i): String(i)
        case .float(let d): d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : "\(d)"
        case .bit(let b): b ? "1" : "0"
        case .string(let s): s
        case .datetime(let t): t.iso8601
        case .record, .array:
            {
                var out: [UInt8] = []
                JSONWriter.append(v, to: &out)
                return String(decoding: out, as: UTF8.self)
            }()
        }
    }

    /// Rows reach the database on flush only in runs without checkpoints; with checkpoints they
    /// commit with the next checkpoint.
    func flush() throws { try database.commitPlain() }
    func close() throws { try database.commitPlain() }

    /// The number the next commit (the one carrying this checkpoint) will have.
    func checkpoint() throws -> [UInt8] {
        var w = StateWriter()
        w.write(database.seq + 1)
        return w.bytes
    }
}
