import Foundation
import Planner

/// One SQLite database that outputs write to, shared by every output of a job naming the same
/// file: one connection, one open transaction (committed on flush and every 10,000 rows), so
/// outputs never wait on each other's locks.
final class SQLiteSinkDatabase {
    let db: SQLiteDatabase
    private var open = false
    private var rows = 0

    /// Held as long as the database is written: one process per output database.
    private let lock: ExclusiveLock

    init(path: String) throws {
        try ByteSink.makeParentDirectories(path)
        lock = try ExclusiveLock(path: path, what: "output database '\(path)'")
        db = try SQLiteDatabase(path: path, readOnly: false)
        // A locked database is retried by the writer's backoff, which a stop signal interrupts;
        // SQLite's own wait would not be.
        db.setBusyTimeout(milliseconds: 250)
        try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
    }

    /// The tables saql created in this file, listed in `saql_owned_tables`: only those may be
    /// emptied by `--from-scratch` or refused as holding unaccounted rows; a user's own table is
    /// appended to.
    func owns(_ table: String) throws -> Bool {
        let exists = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'saql_owned_tables'")
        guard !exists.isEmpty else { return false }
        return try !db.query("SELECT 1 AS one FROM saql_owned_tables WHERE name = \(Self.literal(table))").isEmpty
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Records that saql created `table`.
    func markOwned(_ table: String) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS saql_owned_tables (name TEXT PRIMARY KEY)")
        try db.execute("INSERT OR IGNORE INTO saql_owned_tables (name) VALUES (\(Self.literal(table)))")
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
