// Micro-benchmarks of engine components, apart from JSON reading and writing.
// Usage: saql-bench anomaly [--events N] [--partitions P] [--history W]
import Foundation
import Runtime

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

switch CommandLine.arguments.dropFirst().first {
case "anomaly": benchAnomaly()
default: print("usage: saql-bench anomaly [--events N] [--partitions P] [--history W]")
}
