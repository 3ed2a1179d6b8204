import CSQLite
import Planner

/// A prepared statement of one connection: bind parameters, run, repeat.
package final class SQLiteStatement {
    private let db: SQLiteDatabase
    private var statement: OpaquePointer?

    package init(_ db: SQLiteDatabase, _ sql: String) throws {
        self.db = db
        guard sqlite3_prepare_v2(db.handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw ConnectorError("sqlite '\(db.path)': \(db.lastError)")
        }
    }

    deinit { sqlite3_finalize(statement) }

    /// SQLite copies bound text and blobs (the SQLITE_TRANSIENT destructor).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds parameter `index` (1-based). Records and arrays are bound as their JSON text.
    package func bind(_ index: Int, _ v: Value) {
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

    package func bind(_ index: Int, blob: [UInt8]) {
        blob.withUnsafeBytes { _ = sqlite3_bind_blob64(statement, Int32(index), $0.baseAddress, sqlite3_uint64($0.count), Self.transient) }
    }

    /// Runs the statement to completion and resets it for the next bindings.
    package func run() throws {
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
    package func firstBlob(_ c: Int32 = 0) throws -> [UInt8]? {
        defer { sqlite3_reset(statement) }
        let rc = sqlite3_step(statement)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw ConnectorError("sqlite '\(db.path)': \(db.lastError)") }
        let n = Int(sqlite3_column_bytes(statement, c))
        guard n > 0, let p = sqlite3_column_blob(statement, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
