// Micro-benchmarks of engine components, apart from JSON reading and writing.
// Usage: saql-bench anomaly [--events N] [--partitions P] [--history W]
//        saql-bench udf TELEMETRY.jsonl [--runs R] [--only 0|1|2]
import Foundation
import Planner
import Runtime
import SAQL
import SAQLParser

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

/// Anomaly detector updates per second: `partitions` independent SpikeAndDip (or ChangePoint)
/// models fed round-robin from a deterministic noisy series with spikes.
func benchAnomaly() {
    let events = argument("--events", default: 2_000_000)
    let partitions = argument("--partitions", default: 1000)
    let history = argument("--history", default: 120)
    var values = [Double](repeating: 0, count: events)
    var state: UInt64 = 42
    for i in 0..<events {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        values[i] = 20 + Double(state >> 11) / Double(1 << 53) + (i % 997 == 0 ? 25 : 0)
    }
    for kind in [IIDAnomalyDetector.Kind.spikeAndDip(.spikesAndDips), .changePoint] {
        var detectors = (0..<partitions).map { _ in IIDAnomalyDetector(kind: kind, confidence: 95, historySize: history) }
        var alerts = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<events where detectors[i % partitions].update(values[i]).isAnomaly { alerts += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let name = kind == .changePoint ? "ChangePoint" : "SpikeAndDip"
        print("\(name): \(events) updates, historySize \(history), \(partitions) partitions: "
              + "\(Int(Double(events) / seconds)) updates/s (\(String(format: "%.2f", seconds)) s, \(alerts) alerts)")
    }
}

/// The filter benchmark with its predicate's value computed three ways: the column itself
/// (built in), through a trivial Swift UDF, and through a trivial JavaScript UDF, each called once
/// per event. The variants run alternately, `runs` times each, in this process (file in, file out,
/// as `saql run`); the per-call cost is the difference from the built-in run over the calls made.
func benchUserFunctions() throws {
    let args = CommandLine.arguments
    guard args.count > 2 else { throw ConnectorError("usage: saql-bench udf TELEMETRY.jsonl [--runs R]") }
    let data = args[2]
    let runs = argument("--runs", default: 5)
    let out = NSTemporaryDirectory() + "saql-bench-udf"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let identity = SwiftFunction.scalar("id", arguments: [.any], returns: .any) { $0[0] }
    let catalog = try SwiftFunction.catalog(with: [identity])
    let header = """
        CREATE INPUT Telemetry WITH (connector = 'file', path = '\(data)');
        CREATE OUTPUT Hot WITH (connector = 'file', path = '\(out)/hot.jsonl');

        """
    let select = "SELECT DeviceId, EventEnqueuedUtcTime, Temperature INTO Hot FROM Telemetry TIMESTAMP BY EventEnqueuedUtcTime WHERE "
    let variants: [(name: String, job: String)] = [
        ("built-in", header + select + "Temperature > 80"),
        ("Swift UDF", header + select + "udf.id(Temperature) > 80"),
        ("JavaScript UDF", header + "CREATE FUNCTION id WITH (language = 'javascript', code = 'function id(x) { return x; }');\n"
            + select + "udf.id(Temperature) > 80"),
    ]
    // `--only N` runs variant N alone (for callgrind's instruction counts).
    let only = argument("--only", default: -1)
    let chosen = only < 0 ? variants : [variants[min(only, variants.count - 1)]]
    var seconds: [String: [Double]] = [:], rows: [String: Int] = [:]
    var events = 0
    for _ in 0..<runs {
        for v in chosen {
            let source = SourceFile(name: v.name, text: v.job)
            let (compiled, diagnostics) = Compiler.compile(source, check: .complete, catalog: v.name == "Swift UDF" ? catalog : .standard)
            guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
            let start = DispatchTime.now().uptimeNanoseconds
            let pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: PipelineOptions(runStart: 0))
            try pipeline.runFileInputs()
            seconds[v.name, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            events = pipeline.context.counters.inputEvents["Telemetry"] ?? 0
            rows[v.name] = pipeline.context.counters.outputRows["Hot"] ?? 0
        }
    }
    // The three must select the same rows.
    guard Set(rows.values).count == 1 else { throw ConnectorError("the variants selected different rows: \(rows)") }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    let base = median(seconds["built-in"] ?? [0])
    print("filter, \(events) events (\(rows.values.first ?? 0) rows out), median of \(runs) alternating runs, one thread:")
    for v in chosen {
        let t = median(seconds[v.name] ?? [0])
        let perCall = v.name == "built-in" ? "" : String(format: ", %.0f ns per call over the built-in", (t - base) / Double(max(events, 1)) * 1e9)
        let label = v.name.padding(toLength: 15, withPad: " ", startingAt: 0)
        print("  \(label) " + String(format: "%.3f s  %8.0f events/s", t, Double(events) / t) + perCall)
    }
}

switch CommandLine.arguments.dropFirst().first {
case "anomaly": benchAnomaly()
case "udf":
    do { try benchUserFunctions() } catch {
        print(error)
        exit(1)
    }
default: print("usage: saql-bench anomaly [--events N] [--partitions P] [--history W] | udf TELEMETRY.jsonl [--runs R]")
}
