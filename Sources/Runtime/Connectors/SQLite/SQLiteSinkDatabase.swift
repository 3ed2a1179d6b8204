import Foundation
import Planner

/// One SQLite database that outputs write to, shared by every output of a job naming the same
/// file: one connection, one open transaction (committed on flush and every 10,000 rows), so
/// outputs never wait on each other's locks.
final class SQLiteSinkDatabase {
    let db: SQLiteDatabase
    private var open = false
    private var rows = 0

    init(path: String) throws {
        try ByteSink.makeParentDirectories(path)
        db = try SQLiteDatabase(path: path, readOnly: false)
        try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
    }

    func willWrite() throws {
        if !open {
            try db.execute("BEGIN")
            open = true
        }
        rows += 1
        if rows >= 10_000 { try commit() }
    }

    func commit() throws {
        guard open else { return }
        try db.execute("COMMIT")
        open = false
        rows = 0
    }
}
