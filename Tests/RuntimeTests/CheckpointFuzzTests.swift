import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Damaged checkpoints fail cleanly: truncated, bit-flipped and random state blobs given to every
/// stateful operator's restore (and to the checkpoint's own decoder) either restore or throw a
/// `StateError`, never trap, hang or allocate without bound. A blob that restores must also let the
/// run continue to its end without a trap.
struct CheckpointFuzzTests {
    /// One job per kind of state: every stateful operator, input position and output position.
    static let jobs: [(name: String, query: String)] = [
        ("tumbling", """
            SELECT DeviceId, COUNT(*) AS n, SUM(V) AS s, AVG(T) AS a, MIN(T) AS lo, MAX(D) AS hi, STDEV(T) AS sd,
                   COUNT(DISTINCT V) AS dv, Collect(T) AS c, TopOne() OVER (ORDER BY T DESC) AS top,
                   PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY T) AS med
            INTO Out FROM Input TIMESTAMP BY Time GROUP BY DeviceId, TumblingWindow(second, 4)
            """),
        ("hopping", "SELECT COUNT(*) AS n, VAR(T) AS v INTO Out FROM Input TIMESTAMP BY Time GROUP BY HoppingWindow(second, 6, 2)"),
        ("hopping retraction", """
            CREATE FUNCTION Total WITH (kind = 'aggregate', code = 'function main() { this.init = function () { this.s = 0; };
              this.accumulate = function (v) { this.s += v; }; this.deaccumulate = function (v) { this.s -= v; };
              this.computeResult = function () { return this.s; }; }');
            SELECT DeviceId, uda.Total(T) AS t INTO Out FROM Input TIMESTAMP BY Time GROUP BY DeviceId, HoppingWindow(second, 6, 2)
            """),
        ("sliding", """
            SELECT DeviceId, COUNT(*) AS n, SUM(V) AS s, MIN(T) AS lo, MAX(T) AS hi, STDEVP(T) AS sd, CollectTop(2) OVER (ORDER BY T) AS top
            INTO Out FROM Input TIMESTAMP BY Time GROUP BY DeviceId, SlidingWindow(second, 5)
            """),
        ("session", "SELECT DeviceId, COUNT(*) AS n, MAX(T) AS hi INTO Out FROM Input TIMESTAMP BY Time GROUP BY DeviceId, SessionWindow(second, 3, 10)"),
        ("analytic", """
            SELECT DeviceId, LAG(T) OVER (PARTITION BY DeviceId LIMIT DURATION(second, 10)) AS prev,
                   LAST(T) OVER (PARTITION BY DeviceId LIMIT DURATION(second, 10) WHEN V > 2) AS lastHot,
                   ISFIRST(second, 5) OVER (PARTITION BY DeviceId) AS first,
                   AVG(T) OVER (PARTITION BY DeviceId LIMIT DURATION(second, 8)) AS avgT,
                   MAX(T) OVER (LIMIT DURATION(second, 8)) AS maxT
            INTO Out FROM Input TIMESTAMP BY Time
            """),
        ("anomaly", """
            SELECT DeviceId, AnomalyDetection_SpikeAndDip(T, 95, 8, 'spikesanddips') OVER (PARTITION BY DeviceId LIMIT DURATION(minute, 5)) AS s,
                   AnomalyDetection_ChangePoint(T, 80, 8) OVER (LIMIT DURATION(minute, 5)) AS c
            INTO Out FROM Input TIMESTAMP BY Time
            """),
        ("join", """
            SELECT a.DeviceId, a.T, b.V INTO Out FROM Input a TIMESTAMP BY Time
            LEFT JOIN Other b TIMESTAMP BY Time ON a.DeviceId = b.DeviceId AND DATEDIFF(second, a, b) BETWEEN 0 AND 3
            """),
        ("match", """
            SELECT * INTO Out FROM Input TIMESTAMP BY Time
            MATCH_RECOGNIZE (LIMIT DURATION(second, 10) PARTITION BY DeviceId
                MEASURES FIRST(Up.T) AS firstUp, LAST(Up.T) AS lastUp, COUNT(Up.T) AS ups
                AFTER MATCH SKIP TO NEXT ROW PATTERN (Low Up+ Low) DEFINE Low AS Low.T < 20, Up AS Up.T >= 20)
            """),
        ("reorder", """
            SET out_of_order_tolerance = '3s';
            SELECT DeviceId, T INTO Out FROM Input TIMESTAMP BY Time
            SELECT DeviceId, T INTO Subs FROM Input TIMESTAMP BY Time OVER DeviceId
            """),
        ("union", """
            SELECT DeviceId, T INTO Out FROM Input TIMESTAMP BY Time
            UNION SELECT DeviceId, V AS T FROM Other TIMESTAMP BY Time
            """),
        ("outputs", """
            CREATE OUTPUT Lake WITH (connector = 'file', path = 'lake/{date}/{time}/t.jsonl', time_format = 'HH-mm', max_file_size = '1KB');
            CREATE OUTPUT Db WITH (connector = 'sqlite', path = 'out.db', table = 'rows');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out/Out.jsonl');
            SELECT * INTO Lake FROM Input TIMESTAMP BY Time
            SELECT DeviceId, T INTO Db FROM Input TIMESTAMP BY Time
            SELECT DeviceId, T INTO Out FROM Input TIMESTAMP BY Time
            """),
    ]

    /// `SAQL_FUZZ_INTENSITY=N` multiplies the mutations per blob (a longer local run).
    static let intensity = Int(ProcessInfo.processInfo.environment["SAQL_FUZZ_INTENSITY"] ?? "") ?? 1
    static let seed = UInt64(ProcessInfo.processInfo.environment["SAQL_FUZZ_SEED"] ?? "") ?? 99

    static func events(_ n: Int, seed: UInt64) -> String {
        var rng = SplitMix(seed: seed)
        let start = Timestamp(year: 2024, month: 1, day: 1).ticks
        return (0..<n).map { i in
            let t = Timestamp(ticks: start + Int64(i) * Timestamp.ticksPerSecond / 2 - Int64(rng.next() % 3) * Timestamp.ticksPerSecond)
            return #"{"DeviceId":"d\#(rng.next() % 4)","T":\#(Double(rng.next() % 400) / 10),"V":\#(rng.next() % 5),"D":"x\#(rng.next() % 9)","Time":"\#(t.iso8601)"}"#
        }.joined(separator: "\n") + "\n"
    }

    /// A job run stopped halfway with its checkpoint, and what is needed to build it again.
    struct Stopped {
        var job: CompiledJob
        var checkpoint: Checkpoint
        var options: PipelineOptions
    }

    static func stoppedRun(_ query: String, in dir: String) throws -> Stopped {
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try events(120, seed: 1).write(toFile: dir + "/input.jsonl", atomically: true, encoding: .utf8)
        try events(60, seed: 2).write(toFile: dir + "/other.jsonl", atomically: true, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        overrides.inputs = ["Input": .file(path: dir + "/input.jsonl", format: .json, arrivalTimeField: nil)]
        if query.contains("Other") { overrides.inputs["Other"] = .file(path: dir + "/other.jsonl", format: .json, arrivalTimeField: nil) }
        overrides.outputDirectory = dir + "/out"
        let (compiled, diagnostics) = Compiler.compile(SourceFile(name: "fuzz.saql", text: query), overrides: overrides, check: .complete)
        guard let job = compiled else { throw ConnectorError("does not compile: \(diagnostics.map(\.message))") }
        var options = PipelineOptions(runStart: Timestamp(year: 2024, month: 1, day: 1).ticks)
        options.batchSize = 7
        options.checkpoints = try CheckpointStore(directory: dir + "/state")
        options.checkpointInterval = .max
        let first = try Pipeline(plan: job.physical, settings: job.settings, options: options)
        try first.run(until: { first.context.counters.inputEvents.values.reduce(0, +) >= 90 })
        guard let checkpoint = try options.checkpoints?.latest() else { throw ConnectorError("no checkpoint") }
        return Stopped(job: job, checkpoint: checkpoint, options: options)
    }

    /// Restores `checkpoint` into a new pipeline and runs it to the end: a `StateError` (or an
    /// input/output error for a damaged position) is a clean refusal; anything else fails the test.
    static func restoreAndRun(_ s: Stopped, _ checkpoint: Checkpoint) -> Bool {
        var options = s.options
        options.restore = checkpoint
        options.checkpoints = nil
        do {
            let p = try Pipeline(plan: s.job.physical, settings: s.job.settings, options: options)
            try p.runFileInputs()
            return true
        } catch is StateError {
            return false
        } catch is ConnectorError {
            return false
        } catch {
            Issue.record("restore threw \(type(of: error)): \(error)")
            return false
        }
    }

    /// Damaged versions of `blob`: every truncation (or a sample for long blobs), bit flips, and
    /// random bytes of similar lengths.
    static func mutations(of blob: [UInt8], rng: inout SplitMix) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let cuts = blob.count <= 200 ? Array(0..<blob.count) : (0..<200).map { _ in Int(rng.next() % UInt64(blob.count)) }
        for n in cuts { out.append(Array(blob.prefix(n))) }
        for _ in 0..<(Self.intensity * 150) where !blob.isEmpty {
            var b = blob
            for _ in 0...(rng.next() % 3) {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] ^= UInt8(1 << (rng.next() % 8))
            }
            out.append(b)
        }
        // Count fields set to huge and negative values (8 aligned bytes).
        for _ in 0..<(Self.intensity * 40) where blob.count >= 8 {
            var b = blob
            let i = Int(rng.next() % UInt64(b.count - 7))
            let v: Int64 = [Int64.max, Int64.min, -1, 1 << 40, 1 << 31][Int(rng.next() % 5)]
            withUnsafeBytes(of: v.littleEndian) { for k in 0..<8 { b[i + k] = $0[k] } }
            out.append(b)
        }
        for _ in 0..<30 { out.append((0..<Int(rng.next() % UInt64(blob.count * 2 + 16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
        return out
    }

    @Test(arguments: jobs.map(\.name))
    func damagedOperatorStateIsRefusedCleanly(_ name: String) throws {
        let query = try #require(Self.jobs.first { $0.name == name }).query
        let dir = NSTemporaryDirectory() + "saql-fuzz-\(name)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stopped = try Self.stoppedRun(query, in: dir)
        #expect(Self.restoreAndRun(stopped, stopped.checkpoint), "the undamaged checkpoint restores")
        var rng = SplitMix(seed: Self.seed)
        var tried = 0, refused = 0
        for (id, saved) in stopped.checkpoint.operators.sorted(by: { $0.key < $1.key }) where !saved.state.isEmpty {
            for blob in Self.mutations(of: saved.state, rng: &rng) {
                var c = stopped.checkpoint
                c.operators[id] = (saved.version, blob)
                tried += 1
                if !Self.restoreAndRun(stopped, c) { refused += 1 }
            }
        }
        for (input, saved) in stopped.checkpoint.inputs {
            for blob in Self.mutations(of: saved.position, rng: &rng).prefix(60) {
                var c = stopped.checkpoint
                c.inputs[input] = (blob, saved.clock, saved.ended)
                tried += 1
                if !Self.restoreAndRun(stopped, c) { refused += 1 }
            }
        }
        #expect(tried > 100 && refused > 0, "\(tried) damaged blobs, \(refused) refused")
    }

    /// The checkpoint's own envelope, as stored in `checkpoint.db`.
    @Test func damagedCheckpointEnvelopeIsRefusedCleanly() throws {
        let dir = NSTemporaryDirectory() + "saql-fuzz-envelope-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stopped = try Self.stoppedRun(Self.jobs[0].query, in: dir)
        var rng = SplitMix(seed: 5)
        var refused = 0
        let blobs = Self.mutations(of: stopped.checkpoint.encoded(), rng: &rng)
        for blob in blobs {
            do { _ = try Checkpoint(decoding: blob) } catch { refused += 1 }
        }
        #expect(refused > blobs.count / 2)
    }
}
