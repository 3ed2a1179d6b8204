import Planner

/// One PostgreSQL database that a job's outputs write to: one connection, and one transaction per
/// commit that carries every output's rows and the job's progress.
///
/// Progress lives in `saql_progress` (a table saql owns in the same database): one row per output
/// table with the number of the last commit (`seq`) and, in a checkpointed run, the whole job
/// checkpoint that commit belongs to. Rows and progress commit together, so:
/// * a checkpointed run commits at each checkpoint, before the checkpoint is stored in the state
///   directory. A crash between the two leaves the database one commit ahead; the next start
///   finds the newer checkpoint here and resumes from it (``NewerCheckpoint``). Rows written after
///   the last commit were never committed and are written again from the checkpoint: exactly once;
/// * a run without checkpoints commits on every flush (about once a second, and every
///   ``commitRows`` rows): at least once across reruns, as every output without checkpoints.
///
/// A lost connection is retried with capped backoff (output error policy `retry`), replaying the
/// transaction from the rows kept since the last commit; a commit whose answer was lost is looked
/// up in `saql_progress`, so it is neither repeated nor dropped.
final class PostgresSinkDatabase: CheckpointCommitter {
    let url: String
    private let policy: OutputErrorPolicy
    private let context: RuntimeContext
    private var connection: PostgresConnection?
    /// The writers, in the order their outputs were opened.
    private(set) var writers: [PostgresWriter] = []
    /// The number of the last commit.
    private(set) var seq: Int64 = 0
    /// True when the job keeps checkpoints: rows commit only with a checkpoint.
    let checkpointed: Bool
    /// Rows kept per run without checkpoints before a commit.
    static let commitRows = 10_000
    /// Rows an insert output keeps for the next checkpoint before it asks for one early: rows wait
    /// in memory until their commit (about 600 bytes each), so this bounds the memory they take.
    static let checkpointRows = 100_000

    init(url: String, checkpointed: Bool, policy: OutputErrorPolicy, context: RuntimeContext) {
        self.url = url
        self.checkpointed = checkpointed
        self.policy = policy
        self.context = context
    }

    /// How messages name the database.
    var name: String { connection?.name ?? PostgresURL.redacted(url) }

    /// The open connection, connecting (and creating `saql_progress`) first if needed. A refused
    /// connection is retried with backoff until it succeeds or the job is stopped.
    func connected() throws -> PostgresConnection {
        if let c = connection, c.isOK { return c }
        connection = nil
        var backoff = 0.1
        while true {
            do {
                let c = try PostgresConnection(url: url)
                try c.execute("""
                    CREATE TABLE IF NOT EXISTS saql_progress (
                        table_name TEXT PRIMARY KEY, seq BIGINT NOT NULL, state BYTEA NOT NULL,
                        committed_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """)
                connection = c
                return c
            } catch let e as ConnectorError where e.transient {
                try pause(after: e.message, backoff: &backoff)
            } catch let e as PostgresError where e.transient {
                try pause(after: e.message, backoff: &backoff)
            } catch let e as PostgresError {
                throw e.connectorError
            }
        }
    }

    /// Waits before the next attempt, or ends the wait with an error when the job is stopping.
    func pause(after message: String, backoff: inout Double) throws {
        if context.isStopping() {
            throw ConnectorError("\(message); stopped while retrying: the rows since the last commit were not written")
        }
        context.counters.outputRetries += 1
        context.onRowError?("\(message) (retrying in \(backoff) s)")
        context.retryPause(seconds: backoff)
        backoff = min(backoff * 2, 30)
    }

    func add(_ writer: PostgresWriter) { writers.append(writer) }

    /// `saql_progress`'s row for `table`: the last commit's number and checkpoint (empty without one).
    func progress(of table: String) throws -> (seq: Int64, state: [UInt8])? {
        let rows = try connected().execute("SELECT seq, encode(state, 'hex') FROM saql_progress WHERE table_name = $1", parameters: [table])
        guard let row = rows.first, let seqText = row[0], let seq = Int64(seqText) else { return nil }
        return (seq, PostgresURL.bytes(hex: row[1] ?? ""))
    }

    /// Continues from commit number `seq` (a restored checkpoint's, or the progress row's).
    func resume(at seq: Int64) { self.seq = max(self.seq, seq) }

    /// Commits the rows written since the last commit with the checkpoint `state`.
    func commit(checkpoint state: [UInt8]) throws { try commit(state: state) }

    /// Commits without a checkpoint (runs that keep none).
    func commitPlain() throws {
        guard !checkpointed, writers.contains(where: \.hasPending) else { return }
        try commit(state: [])
    }

    /// One transaction: every writer's pending rows, then the progress rows, then COMMIT. Retried
    /// from the kept rows after a lost connection; rows a table refuses are dead-lettered under
    /// policy `drop` and stop the job under `retry` (no retry fixes them).
    private func commit(state: [UInt8]) throws {
        let next = seq + 1
        var backoff = 0.1
        while true {
            let c = try connected()
            var sentCommit = false
            do {
                try c.execute("BEGIN")
                for w in writers { try w.send(on: c) }
                let hex = PostgresURL.hex(state)
                for w in writers {
                    try c.execute("""
                        INSERT INTO saql_progress (table_name, seq, state) VALUES ($1, $2, decode($3, 'hex'))
                        ON CONFLICT (table_name) DO UPDATE SET seq = EXCLUDED.seq, state = EXCLUDED.state, committed_at = now()
                        """, parameters: [w.table, String(next), hex])
                }
                sentCommit = true
                try c.execute("COMMIT")
                break
            } catch let e as PostgresError where e.transient {
                connection = nil
                // The COMMIT may have reached the server before the connection broke.
                if sentCommit, let w = writers.first, let p = try? progress(of: w.table), p.seq == next { break }
                try pause(after: e.message, backoff: &backoff)
            } catch let e as PostgresError where e.isDataError && policy == .drop {
                _ = try? c.execute("ROLLBACK")
                // Find the rows the table refuses, one by one; the rest commit on the next attempt.
                for w in writers { try w.dropRefusedRows(on: c) }
            } catch let e as PostgresError {
                _ = try? c.execute("ROLLBACK")
                throw e.connectorError
            } catch let e as ConnectorError where e.transient {
                connection = nil
                try pause(after: e.message, backoff: &backoff)
            }
        }
        seq = next
        for w in writers { w.committed() }
    }
}

/// An output resource whose transaction commits with each checkpoint, before the checkpoint is
/// stored: the checkpoint's bytes go into the same transaction as the rows.
protocol CheckpointCommitter: AnyObject {
    func commit(checkpoint state: [UInt8]) throws
}
