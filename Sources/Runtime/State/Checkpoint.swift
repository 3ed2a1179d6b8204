import Foundation
import Planner

/// Everything a job needs to continue after a restart, taken between batches: each stateful
/// operator's state, each operator's output watermark, each input's read position and each
/// output's written position, and the run's counters.
public struct Checkpoint: Sendable {
    /// Identifies the plan the checkpoint belongs to; another plan's checkpoint is refused.
    public var fingerprint: UInt64
    /// Stateful operators' state by plan node id, with the state version it was written with.
    public var operators: [Int: (version: Int, state: [UInt8])] = [:]
    /// Each node's last forwarded watermark.
    public var watermarks: [Int: Int64] = [:]
    /// Each input's position (source-specific bytes), and where the run loop had got to in time.
    public var inputs: [String: (position: [UInt8], clock: Int64, ended: Bool)] = [:]
    /// Each output's written position (sink-specific bytes).
    public var outputs: [String: [UInt8]] = [:]
    public var counters: [UInt8] = []
    public var processingTime = Int64.min

    /// The encoding's own version (the layout below).
    static let format = 1

    public init(fingerprint: UInt64) { self.fingerprint = fingerprint }

    public func encoded() -> [UInt8] {
        var w = StateWriter()
        w.write(Self.format)
        w.write(fingerprint)
        w.write(processingTime)
        w.write(operators.count)
        for (id, s) in operators.sorted(by: { $0.key < $1.key }) {
            w.write(id)
            w.write(s.version)
            w.write(bytes: s.state)
        }
        w.write(watermarks.count)
        for (id, t) in watermarks.sorted(by: { $0.key < $1.key }) {
            w.write(id)
            w.write(t)
        }
        w.write(inputs.count)
        for (name, i) in inputs.sorted(by: { $0.key < $1.key }) {
            w.write(name)
            w.write(bytes: i.position)
            w.write(i.clock)
            w.write(i.ended)
        }
        w.write(outputs.count)
        for (name, o) in outputs.sorted(by: { $0.key < $1.key }) {
            w.write(name)
            w.write(bytes: o)
        }
        w.write(bytes: counters)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(StateError) {
        var r = StateReader(bytes: bytes)
        let format = try r.readInt()
        guard format == Self.format else {
            throw StateError("the checkpoint has format \(format); this saql reads format \(Self.format)")
        }
        fingerprint = try r.readUInt64()
        processingTime = try r.readInt64()
        for _ in 0..<(try r.readCount()) {
            let id = try r.readInt()
            operators[id] = (try r.readInt(), try r.readBytes())
        }
        for _ in 0..<(try r.readCount()) { watermarks[try r.readInt()] = try r.readInt64() }
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            inputs[name] = (try r.readBytes(), try r.readInt64(), try r.readBool())
        }
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            outputs[name] = try r.readBytes()
        }
        counters = try r.readBytes()
    }
}

/// The latest checkpoint of a job, kept in `DIR/checkpoint.db` (SQLite, WAL, synchronous commits):
/// a checkpoint replaces its predecessor in one transaction, so a crash leaves one or the other.
public final class CheckpointStore {
    public let directory: String
    private let db: SQLiteDatabase
    private let insert: SQLiteStatement
    private let select: SQLiteStatement

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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
    }

    /// The stored checkpoint, if any.
    public func latest() throws -> Checkpoint? {
        guard let bytes = try select.firstBlob() else { return nil }
        do throws(StateError) { return try Checkpoint(decoding: bytes) } catch {
            throw StateError("\(directory)/checkpoint.db: \(error.message)")
        }
    }

    /// Stores an encoded checkpoint (``Checkpoint/encoded()``) taken at wall-clock time `takenAt`
    /// durably, replacing the previous one.
    public func save(_ encoded: [UInt8], at takenAt: Int64) throws {
        insert.bind(1, .string(Timestamp.representable.contains(takenAt) ? Timestamp(ticks: takenAt).iso8601 : ""))
        insert.bind(2, blob: encoded)
        try insert.run()
    }
}
