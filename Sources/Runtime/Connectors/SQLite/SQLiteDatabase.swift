import CSQLite
import Planner

/// A connection to a SQLite database through the system library, for reference data (and sinks).
///
/// Not thread-safe: one thread uses a connection at a time.
public final class SQLiteDatabase {
    var handle: OpaquePointer?
    public let path: String

    /// Opens `path`; `readOnly` connections never create the file.
    public init(path: String, readOnly: Bool) throws {
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

    var lastError: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection" }

    /// Runs statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastError
            sqlite3_free(error)
            throw ConnectorError("sqlite '\(path)': \(message)")
        }
    }

    /// Runs a query; each row is a record of its columns, in select order. SQLite's INTEGER, REAL,
    /// TEXT and NULL map to bigint, float, nvarchar and NULL; BLOBs to their bytes as text.
    public func query(_ sql: String) throws -> [Record] {
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

/// A prepared statement of one connection: bind parameters, run, repeat.
public final class SQLiteStatement {
    private let db: SQLiteDatabase
    private var statement: OpaquePointer?

    public init(_ db: SQLiteDatabase, _ sql: String) throws {
        self.db = db
        guard sqlite3_prepare_v2(db.handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw ConnectorError("sqlite '\(db.path)': \(db.lastError)")
        }
    }

    deinit { sqlite3_finalize(statement) }

    /// SQLite copies bound text and blobs (the SQLITE_TRANSIENT destructor).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds parameter `index` (1-based). Records and arrays are bound as their JSON text.
    public func bind(_ index: Int, _ v: Value) {
        let i = Int32(index)
        switch v {
        case .null: sqlite3_bind_null(statement, i)
        case .bigint(let x): sqlite3_bind_int64(statement, i, x)
        case .float(let d): sqlite3_bind_double(statement, i, d)
        case .bit(let b): sqlite3_bind_int64(statement, i, b ? 1 : 0)
        case .string(let s): sqlite3_bind_text(statement, i, s, -1, Self.transient)
        case .datetime, .record, .array:
            let text = Conversions.string(v) ?? ""
            sqlite3_bind_text(statement, i, text, -1, Self.transient)
        }
    }

    public func bind(_ index: Int, blob: [UInt8]) {
        blob.withUnsafeBytes { _ = sqlite3_bind_blob64(statement, Int32(index), $0.baseAddress, sqlite3_uint64($0.count), Self.transient) }
    }

    /// Runs the statement to completion and resets it for the next bindings.
    public func run() throws {
        defer { sqlite3_reset(statement) }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                let primary = rc & 0xFF
                throw ConnectorError("sqlite '\(db.path)': \(db.lastError)", transient: primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
            }
        }
    }

    /// Steps to the first row and returns column `c` as bytes (`nil` when there is no row).
    public func firstBlob(_ c: Int32 = 0) throws -> [UInt8]? {
        defer { sqlite3_reset(statement) }
        let rc = sqlite3_step(statement)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw ConnectorError("sqlite '\(db.path)': \(db.lastError)") }
        let n = Int(sqlite3_column_bytes(statement, c))
        guard n > 0, let p = sqlite3_column_blob(statement, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
