import CSQLite
import Planner

/// A connection to a SQLite database through the system library, for reference data (and sinks).
///
/// Not thread-safe: one thread uses a connection at a time.
package final class SQLiteDatabase {
    var handle: OpaquePointer?
    package let path: String

    /// Opens `path`; `readOnly` connections never create the file.
    package init(path: String, readOnly: Bool) throws {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
            sqlite3_close(handle)
            throw ConnectorError("sqlite '\(path)': cannot open: \(message)")
        }
        // Readers wait for a writer's transaction instead of failing at once.
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit { sqlite3_close(handle) }

    /// How long a statement waits for another connection's lock before it fails as busy.
    package func setBusyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    var lastError: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection" }

    /// Runs statements that return no rows.
    package func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        guard rc == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            let primary = rc & 0xFF
            throw ConnectorError("sqlite '\(path)': \(message)", transient: primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        }
    }

    /// Runs a query; each row is a record of its columns, in select order. SQLite's INTEGER, REAL,
    /// TEXT and NULL map to bigint, float, nvarchar and NULL; BLOBs to their bytes as text.
    package func query(_ sql: String) throws -> [Record] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw ConnectorError("sqlite '\(path)': \(lastError)")
        }
        defer { sqlite3_finalize(statement) }
        let columns = Int(sqlite3_column_count(statement))
        let names = (0..<columns).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
        var rows: [Record] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw ConnectorError("sqlite '\(path)': \(lastError)") }
            var values: [Value] = []
            values.reserveCapacity(columns)
            for c in 0..<Int32(columns) {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_INTEGER: values.append(.bigint(sqlite3_column_int64(statement, c)))
                case SQLITE_FLOAT: values.append(.float(sqlite3_column_double(statement, c)))
                case SQLITE_NULL: values.append(.null)
                default:
                    let text = sqlite3_column_text(statement, c).map { String(cString: $0) } ?? ""
                    values.append(.string(text))
                }
            }
            rows.append(Record(names: names, values: values))
        }
        return rows
    }
}

