import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// AnomalyDetection_SpikeAndDip and _ChangePoint against the reference vectors
/// (`../shared/anomaly/vectors.json`, copied to Fixtures): every case runs as a query over a file.
struct AnomalyTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static var vectors: [String: Any] {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: fixtures + "/anomaly-vectors.json"))) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    static var asaCases: [Int] { Array(((vectors["asa_cases"] as? [Any]) ?? []).indices) }

    /// Runs `query` over events `{"t": ..., "v": value, "k": key}` one second apart; returns the rows.
    func run(_ query: String, values: [Any], keys: [String]? = nil) throws -> [[String: Any]] {
        let dir = NSTemporaryDirectory() + "saql-anomaly-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines = ""
        for (i, v) in values.enumerated() {
            let t = Timestamp(ticks: Int64(i + 1) * Timestamp.ticksPerSecond).iso8601
            let value = v is NSNull ? "null" : "\(v)"
            lines += "{\"t\":\"\(t)\",\"v\":\(value),\"k\":\"\(keys?[i] ?? "")\"}\n"
        }
        try lines.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let job = """
            CREATE INPUT In WITH (connector = 'file', path = '\(dir)/in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = '\(dir)/out.jsonl');
            \(query)
            """
        let source = SourceFile(name: "anomaly.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, check: .complete)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        let pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
        try pipeline.runFileInputs()
        return try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// Scores agree within 1e-6 relative (the reference is float64); IsAnomaly exactly.
    func check(_ rows: [[String: Any]], scores: [Any], alerts: [Any], _ label: String) -> Int {
        #expect(rows.count == scores.count, "\(label): \(rows.count) rows for \(scores.count) events")
        var identical = 0
        for (i, row) in rows.enumerated() where i < scores.count {
            let record = row["s"] as? [String: Any] ?? [:]
            let got = (record["Score"] as? NSNumber)?.doubleValue
            let want = (scores[i] as? NSNumber)?.doubleValue
            if let got, let want {
                #expect(abs(got - want) <= 1e-6 * max(abs(want), 1e-300), "\(label) event \(i): score \(got), expected \(want)")
                if got.bitPattern == want.bitPattern { identical += 1 }
            } else {
                #expect(got == nil && want == nil, "\(label) event \(i): score \(String(describing: got)), expected \(String(describing: want))")
            }
            #expect((record["IsAnomaly"] as? NSNumber)?.intValue == (alerts[i] as? NSNumber)?.intValue,
                    "\(label) event \(i): IsAnomaly")
        }
        return identical
    }

    @Test(arguments: asaCases)
    func asaCase(_ index: Int) throws {
        guard let c = (Self.vectors["asa_cases"] as? [[String: Any]])?[index],
              let input = c["input"] as? [Any], let scores = c["score"] as? [Any], let alerts = c["isAnomaly"] as? [Any],
              let function = c["function"] as? String, let confidence = c["confidence"], let history = c["historySize"] else {
            Issue.record("malformed vector \(index)")
            return
        }
        let mode = (c["mode"] as? String).map { ", '\($0)'" } ?? ""
        let query = "SELECT \(function)(v, \(confidence), \(history)\(mode)) OVER (LIMIT DURATION(hour, 24)) AS s INTO Out FROM In TIMESTAMP BY t"
        let rows = try run(query, values: input)
        let identical = check(rows, scores: scores, alerts: alerts, "\(function) \(c["series"] ?? "") #\(index)")
        #expect(identical >= scores.count * 9 / 10, "only \(identical) of \(scores.count) scores are bit-identical")
    }

    @Test func partitionsKeepSeparateModels() throws {
        guard let c = Self.vectors["partitioned_case"] as? [String: Any], let input = c["input"] as? [Any],
              let keys = c["keys"] as? [String], let scores = c["score"] as? [Any], let alerts = c["isAnomaly"] as? [Any] else {
            Issue.record("malformed partitioned case")
            return
        }
        let query = "SELECT AnomalyDetection_SpikeAndDip(v, \(c["confidence"] ?? 95), \(c["historySize"] ?? 10), '\(c["mode"] ?? "")') "
            + "OVER (PARTITION BY k LIMIT DURATION(hour, 24)) AS s INTO Out FROM In TIMESTAMP BY t"
        _ = check(try run(query, values: input, keys: keys), scores: scores, alerts: alerts, "partitioned")
    }

    /// ML.NET's own IidSpikeDetector vector (TwoSided is ASA's 'spikesanddips').
    @Test func mlnetSpikeDetectorVector() throws {
        guard let c = (Self.vectors["mlnet_raw_cases"] as? [[String: Any]])?.first(where: { $0["detector"] as? String == "IidSpikeDetector" }),
              let input = c["input"] as? [Any], let out = c["output[Alert,Raw,PValue]"] as? [[Any]] else {
            Issue.record("no IidSpikeDetector vector")
            return
        }
        let query = "SELECT AnomalyDetection_SpikeAndDip(v, \(c["confidence"] ?? 99), \(c["pvalueHistoryLength"] ?? 50), 'spikesanddips') "
            + "OVER (LIMIT DURATION(hour, 24)) AS s INTO Out FROM In TIMESTAMP BY t"
        _ = check(try run(query, values: input), scores: out.map { $0[2] }, alerts: out.map { $0[0] }, "ML.NET spike")
    }

    /// WHEN-rejected rows get NULL and leave the model as it was; NULL values score NULL.
    @Test func whenAndNullLeaveTheModelUntouched() throws {
        let values: [Any] = [10, 11, NSNull(), 10, 500, 10, 11]
        let plain = try run("SELECT AnomalyDetection_SpikeAndDip(v, 95, 3, 'spikes') OVER (LIMIT DURATION(hour, 1)) AS s INTO Out FROM In TIMESTAMP BY t",
                            values: values.filter { !($0 is NSNull) && ($0 as? Int) != 500 })
        let filtered = try run("SELECT AnomalyDetection_SpikeAndDip(v, 95, 3, 'spikes') OVER (LIMIT DURATION(hour, 1) WHEN v < 100) AS s INTO Out FROM In TIMESTAMP BY t",
                               values: values)
        #expect(filtered[4]["s"] is NSNull)
        let nullRow = filtered[2]["s"] as? [String: Any]
        #expect(nullRow?["Score"] is NSNull && (nullRow?["IsAnomaly"] as? NSNumber)?.intValue == 0)
        let kept = filtered.enumerated().filter { $0.offset != 2 && $0.offset != 4 }.map { ($0.element["s"] as? [String: Any])?["Score"] as? NSNumber }
        #expect(kept == plain.map { ($0["s"] as? [String: Any])?["Score"] as? NSNumber })
    }

    /// A detector restored from a checkpoint mid-series continues bit for bit like an uninterrupted one.
    @Test func checkpointRestoreIsBitIdentical() throws {
        var rng = SystemRandomNumberGenerator()
        let series = (0..<600).map { i in 20 + Double.random(in: -1...1, using: &rng) + (i % 97 == 0 ? 15 : 0) + (i > 300 ? 5 : 0) }
        for kind in [IIDAnomalyDetector.Kind.spikeAndDip(.spikesAndDips), .changePoint] {
            var whole = IIDAnomalyDetector(kind: kind, confidence: 95, historySize: 120)
            let expected = series.map { whole.update($0) }
            for cut in [0, 1, 119, 120, 121, 333, 599] {
                var first = IIDAnomalyDetector(kind: kind, confidence: 95, historySize: 120)
                var got = series[..<cut].map { first.update($0) }
                var writer = StateWriter()
                first.checkpoint(into: &writer)
                var second = IIDAnomalyDetector(kind: kind, confidence: 95, historySize: 120)
                var reader = StateReader(bytes: writer.bytes)
                try second.restore(from: &reader)
                got += series[cut...].map { second.update($0) }
                #expect(got.map(\.score.bitPattern) == expected.map(\.score.bitPattern), "\(kind) cut at \(cut)")
                #expect(got.map(\.isAnomaly) == expected.map(\.isAnomaly))
            }
        }
    }
}
