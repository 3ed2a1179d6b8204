import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// Runs the IoT example job (queries/) and checks it against an independent computation.
struct ExampleJobTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func runJob(_ path: String, outputDirectory: String) throws -> RuntimeCounters {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var overrides = BindingOverrides()
        overrides.jobDirectory = (path as NSString).deletingLastPathComponent
        let source = SourceFile(name: path, text: text)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete)
        guard var job = compiled else {
            throw CompileFailure(diagnostics: diagnostics, source: source)
        }
        // Redirect the declared outputs into the test's directory.
        for (i, o) in job.outputs.enumerated() {
            if let f = o.endpoint as? FileOutput {
                job.outputs[i].endpoint = FileOutput(path: outputDirectory + "/" + (f.path as NSString).lastPathComponent, format: f.format)
            }
        }
        var planner = PhysicalPlanner(job: job.logical, inputs: job.inputs)
        let plan = planner.plan(outputs: job.outputs)
        let pipeline = try Pipeline(plan: plan, settings: job.settings, options: PipelineOptions(runStart: 0))
        try pipeline.runFileInputs()
        return pipeline.context.counters
    }

    /// A copy of the example job in a fresh directory, with its device registry built (through the
    /// SQLite library) from devices.sql plus `registryChanges`.
    func exampleCopy(registryChanges: String = "") throws -> String {
        let dir = NSTemporaryDirectory() + "saql-iot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root + "/queries/iot-telemetry.saql", toPath: dir + "/iot-telemetry.saql")
        try FileManager.default.copyItem(atPath: Self.root + "/queries/data/telemetry.jsonl", toPath: dir + "/data/telemetry.jsonl")
        let db = try SQLiteDatabase(path: dir + "/data/devices.db", readOnly: false)
        try db.execute(try String(contentsOfFile: Self.root + "/queries/data/devices.sql", encoding: .utf8) + registryChanges)
        return dir
    }

    func readJSONLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    @Test func iotAggregatesMatchAnIndependentComputation() throws {
        let dir = try exampleCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let counters = try runJob(dir + "/iot-telemetry.saql", outputDirectory: dir)
        #expect(counters.inputEvents["IoTHubInput"] == 7200)
        #expect(counters.malformedEvents == 0 && counters.evaluationErrors == 0)

        // Independent computation: Foundation's JSON parser and a dictionary keyed by (device, window end).
        struct Acc { var n = 0; var sumT = 0.0; var minT = Double.infinity; var maxT = -Double.infinity; var sumP = 0.0; var sumV = 0.0 }
        var expected: [String: Acc] = [:]
        let events = try readJSONLines(Self.root + "/queries/data/telemetry.jsonl")
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for e in events {
            guard let device = e["DeviceId"] as? String, let ts = e["EventEnqueuedUtcTime"] as? String, let date = iso.date(from: ts),
                  let t = (e["Temperature"] as? NSNumber)?.doubleValue, let p = (e["Pressure"] as? NSNumber)?.doubleValue,
                  let v = (e["Vibration"] as? NSNumber)?.doubleValue else { Issue.record("bad sample event"); continue }
            // Windows are (end - 60s, end]: the end is the next whole minute at or after the event.
            let end = (date.timeIntervalSince1970 / 60).rounded(.up) * 60
            var a = expected["\(device)|\(Int(end))", default: Acc()]
            a.n += 1; a.sumT += t; a.minT = min(a.minT, t); a.maxT = max(a.maxT, t); a.sumP += p; a.sumV += v
            expected["\(device)|\(Int(end))"] = a
        }
        let rows = try readJSONLines(dir + "/aggregates.jsonl")
        #expect(rows.count == expected.count)
        for row in rows {
            guard let device = row["DeviceId"] as? String, let endText = row["WindowEnd"] as? String,
                  let end = iso.date(from: endText), let acc = expected["\(device)|\(Int(end.timeIntervalSince1970))"] else {
                Issue.record("unexpected row \(row)")
                continue
            }
            func close(_ key: String, _ want: Double) -> Bool {
                guard let got = (row[key] as? NSNumber)?.doubleValue else { return false }
                return abs(got - want) <= 1e-9 * max(1, abs(want))
            }
            #expect((row["EventCount"] as? NSNumber)?.intValue == acc.n)
            #expect(row["Site"] is String && row["Model"] is String, "registry fields missing: \(row)")
            #expect(close("AvgTemperature", acc.sumT / Double(acc.n)))
            #expect(close("MinTemperature", acc.minT) && close("MaxTemperature", acc.maxT))
            #expect(close("AvgPressure", acc.sumP / Double(acc.n)) && close("AvgVibration", acc.sumV / Double(acc.n)))
        }
        // Every injected temperature spike after a device's first 120 events (the model's warm-up) is flagged.
        var medians: [String: Double] = [:]
        var perDevice: [String: [Double]] = [:]
        for e in events { perDevice[e["DeviceId"] as? String ?? "", default: []].append((e["Temperature"] as? NSNumber)?.doubleValue ?? 0) }
        for (d, temps) in perDevice { medians[d] = temps.sorted()[temps.count / 2] }
        var seen: [String: Int] = [:]
        var spikes = Set<String>()
        for e in events {
            let d = e["DeviceId"] as? String ?? ""
            seen[d, default: 0] += 1
            if seen[d, default: 0] > 120, ((e["Temperature"] as? NSNumber)?.doubleValue ?? 0) - (medians[d] ?? 0) > 15 {
                spikes.insert("\(d)|\(e["EventEnqueuedUtcTime"] as? String ?? "")")
            }
        }
        let db = try SQLiteDatabase(path: dir + "/out/iot.db", readOnly: true)
        func table(_ sql: String) throws -> [[String: Any]] {
            try db.query(sql).map { r in Dictionary(uniqueKeysWithValues: zip(r.names, r.values.map { v -> Any in
                switch v {
                case .string(let s): s
                case .float(let d): NSNumber(value: d)
                case .bigint(let i): NSNumber(value: i)
                default: NSNull()
                }
            })) }
        }
        let alerts = Set(try table("SELECT * FROM anomaly_alerts").map { "\($0["DeviceId"] as? String ?? "")|\($0["EventTime"] as? String ?? "")" })
        #expect(spikes.count >= 20)
        #expect(spikes.isSubset(of: alerts), "spikes not flagged: \(spikes.subtracting(alerts).sorted())")
        // The raw archive keeps every event, one file per hour of event time; the device state holds
        // each device's latest reading; the failing device shows up as CRITICAL.
        let lake = try FileManager.default.subpathsOfDirectory(atPath: dir + "/out/lake").filter { !$0.hasSuffix("/") && $0.contains(".") }.sorted()
        #expect(lake.first == "2024/01/01/00/telemetry.parquet")
        #expect(lake.allSatisfy { $0.hasSuffix("/telemetry.parquet") }, "\(lake)")
        if LakeReaders.enabled {
            // Read back by pyarrow: every event once, as the job's EventTime text.
            let rows = try LakeReaders.dump(dir + "/out/lake").values.flatMap { $0.split(separator: "\n") }
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(rows.count == 7200)
            let archived = rows.map { "\($0["DeviceId"] as? String ?? "")|\($0["EventTime"] as? String ?? "")" }.sorted()
            let sent = events.map { "\($0["DeviceId"] as? String ?? "")|\($0["EventEnqueuedUtcTime"] as? String ?? "")" }.sorted()
            #expect(archived == sent)
        }
        let state = try table("SELECT * FROM device_state ORDER BY DeviceId")
        let lastSeen = Dictionary(events.map { ($0["DeviceId"] as? String ?? "", $0["EventEnqueuedUtcTime"] as? String ?? "") }) { a, b in max(a, b) }
        #expect(state.count == lastSeen.count)
        #expect(state.allSatisfy { row in
            (row["LastSeen"] as? String).flatMap(Timestamp.init(parsing:)) == lastSeen[row["DeviceId"] as? String ?? ""].flatMap(Timestamp.init(parsing:))
        })
        let maintenance = try table("SELECT * FROM maintenance_status")
        #expect(maintenance.contains { $0["DeviceId"] as? String == "dev-0007" && $0["MaintenanceStatus"] as? String == "CRITICAL" })
        #expect(maintenance.allSatisfy { (($0["AvgVibration"] as? NSNumber)?.doubleValue ?? 0) > 40 })
        #expect(maintenance.contains { $0["DeviceId"] as? String == "dev-0003" && $0["MaintenanceStatus"] as? String == "WARNING" })
    }

    /// The maintenance limits come from the registry: raising one device's limits in SQLite silences
    /// its alerts, and lowering another's raises them.
    @Test func maintenanceLimitsComeFromTheRegistry() throws {
        let dir = try exampleCopy(registryChanges: """
            UPDATE devices SET VibrationWarning = 48, VibrationCritical = 60 WHERE DeviceId = 'dev-0003';
            UPDATE devices SET VibrationWarning = 20, StdDevWarning = 2 WHERE DeviceId = 'dev-0011';
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try runJob(dir + "/iot-telemetry.saql", outputDirectory: dir)
        let maintenance = try SQLiteDatabase(path: dir + "/out/iot.db", readOnly: true).query("SELECT DeviceId, MaintenanceStatus FROM maintenance_status")
            .map { r in Dictionary(uniqueKeysWithValues: zip(r.names, r.values.map { v -> Any in if case .string(let s) = v { s } else { NSNull() } })) }
        #expect(!maintenance.contains { $0["DeviceId"] as? String == "dev-0003" })
        #expect(maintenance.contains { $0["DeviceId"] as? String == "dev-0011" && $0["MaintenanceStatus"] as? String == "WARNING" })
        #expect(maintenance.contains { $0["DeviceId"] as? String == "dev-0007" && $0["MaintenanceStatus"] as? String == "CRITICAL" })
    }

    @Test func seedQueryIsRejectedWithAFix() throws {
        let path = Self.root + "/queries/seed-verbatim.saql"
        let source = SourceFile(name: "seed.saql", text: try String(contentsOfFile: path, encoding: .utf8))
        let (_, diagnostics) = Compiler.compile(source)
        #expect(diagnostics.hasErrors)
        let comparison = diagnostics.first { $0.code == "SAQL2015" }
        let location = comparison.map { source.location(of: $0.range.start) }
        #expect(location == SourceLocation(line: 59, column: 1))
        #expect(comparison?.helps.first?.replacement == "GetRecordPropertyValue(AnomalyScore, 'Score')")
    }

    @Test func exampleJobsCheckWithoutErrors() throws {
        for name in ["iot-telemetry.saql"] {
            let path = Self.root + "/queries/" + name
            let (_, diagnostics) = Compiler.compile(SourceFile(name: name, text: try String(contentsOfFile: path, encoding: .utf8)))
            #expect(!diagnostics.hasErrors, "\(name): \(diagnostics)")
        }
    }
}
