import Foundation
import Planner

/// The latest checkpoint of a job, kept in `DIR/checkpoint.db` (SQLite, WAL, synchronous commits):
/// a checkpoint replaces its predecessor in one transaction, so a crash leaves one or the other.
package final class CheckpointStore {
    package let directory: String
    private let db: SQLiteDatabase
    private let insert: SQLiteStatement
    private let select: SQLiteStatement
    /// One process per state directory.
    private let lock: ExclusiveLock

    /// Opens (or creates) the store; a file that is not a checkpoint store is a ``StateError``.
    /// The directory is locked first; `discardingExisting` then deletes what it held, even a
    /// damaged store (`--from-scratch`).
    package init(directory: String, discardingExisting: Bool = false) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        lock = try ExclusiveLock(path: directory + "/lock", what: "state directory '\(directory)'")
        if discardingExisting {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory + "/checkpoint.db" + suffix) }
        }
        do {
            db = try SQLiteDatabase(path: directory + "/checkpoint.db", readOnly: false)
            try db.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS checkpoint (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                taken_at TEXT NOT NULL,
                state BLOB NOT NULL
            );
            """)
            insert = try SQLiteStatement(db, "INSERT OR REPLACE INTO checkpoint (id, taken_at, state) VALUES (1, ?, ?)")
            select = try SQLiteStatement(db, "SELECT state FROM checkpoint WHERE id = 1")
        } catch let e as ConnectorError {
            throw StateError("not a readable checkpoint store (\(e.message))")
        }
    }

    /// The stored checkpoint, if any; damaged bytes are a ``StateError``.
    package func latest() throws -> Checkpoint? {
        let bytes: [UInt8]?
        do { bytes = try select.firstBlob() } catch let e as ConnectorError {
            throw StateError("cannot read the checkpoint (\(e.message))")
        }
        guard let bytes else { return nil }
        return try Checkpoint(decoding: bytes)
    }

    /// Stores an encoded checkpoint (``Checkpoint/encoded()``) taken at wall-clock time `takenAt`
    /// durably, replacing the previous one.
    package func save(_ encoded: [UInt8], at takenAt: Int64) throws {
        insert.bind(1, .string(Timestamp.representable.contains(takenAt) ? Timestamp(ticks: takenAt).iso8601 : ""))
        insert.bind(2, blob: encoded)
        try insert.run()
    }
}
