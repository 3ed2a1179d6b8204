// An edge gateway: simulated devices push telemetry into the seed's queries, run in-process,
// with one Swift function (°C to °F) and one JavaScript function (a severity label); alerts
// print as they are produced.
import Foundation
import SAQL

let job = """
    -- A JavaScript UDF, as an ASA job would declare it: the spike's score (a p-value: smaller is
    -- more anomalous) as a label.
    CREATE FUNCTION severity WITH (language = 'javascript', kind = 'scalar',
        code = 'function severity(score) { return score < 1e-6 ? "critical" : score < 1e-3 ? "major" : "minor"; }');

    WITH EnrichedTelemetry AS (
        SELECT DeviceId, DeviceType, EventEnqueuedUtcTime AS EventTime, Temperature, Pressure, Vibration
        FROM IoTHubInput TIMESTAMP BY EventEnqueuedUtcTime
    ), AnomalyDetection AS (
        SELECT DeviceId, EventTime, Temperature,
            AnomalyDetection_SpikeAndDip(Temperature, 95, 120, 'spikesanddips')
                OVER (PARTITION BY DeviceId LIMIT DURATION(hour, 2)) AS AnomalyScore
        FROM EnrichedTelemetry
    )
    -- Spike alerts: the Swift function converts for the site's dashboards.
    SELECT DeviceId, EventTime, ROUND(Temperature, 1) AS Temperature, udf.toFahrenheit(Temperature) AS TemperatureF,
           GetRecordPropertyValue(AnomalyScore, 'Score') AS Score,
           udf.severity(GetRecordPropertyValue(AnomalyScore, 'Score')) AS Severity
    INTO Alerts
    FROM AnomalyDetection
    WHERE GetRecordPropertyValue(AnomalyScore, 'IsAnomaly') = 1;

    -- Per-device aggregates, every 5 minutes.
    SELECT DeviceId, DeviceType, System.Timestamp() AS WindowEnd, AVG(Temperature) AS AvgTemperature,
           MAX(Temperature) AS MaxTemperature, AVG(Vibration) AS AvgVibration, COUNT(*) AS EventCount
    INTO Aggregates
    FROM EnrichedTelemetry
    GROUP BY DeviceId, DeviceType, TumblingWindow(minute, 5)
    """

let toFahrenheit = SwiftFunction.scalar("toFahrenheit", arguments: [.float], returns: .float) { args in
    guard case .float(let c) = args[0] else { return .null }
    return .float(c * 9 / 5 + 32)
}

let start = Timestamp(year: 2024, month: 6, day: 1, hour: 8)
var options = Engine.Options()
options.startTime = start
options.functions = [toFahrenheit]
let engine: Engine
do { engine = try Engine(job: job, name: "edge.saql", options: options) } catch {
    print(error)  // the compile errors, rendered with file:line:col and a caret
    exit(2)
}

// Readers run beside the producer; each output is read to its end.
let alerts = Task {
    var n = 0
    for try await alert in try engine.rows(of: "Alerts") {
        n += 1
        let f = alert["TemperatureF"].flatMap { if case .float(let f) = $0 { f } else { nil } } ?? .nan
        print("ALERT \(alert["DeviceId"] ?? .null) at \(alert["EventTime"] ?? .null): \(alert["Temperature"] ?? .null) °C"
              + " (\((f * 10).rounded() / 10) °F), severity \(alert["Severity"] ?? .null) (score \(alert["Score"] ?? .null))")
    }
    return n
}
let aggregates = Task {
    var n = 0
    for try await _ in try engine.rows(of: "Aggregates") { n += 1 }
    return n
}

// Three devices, one reading a second for 40 minutes; pump-2 spikes at minute 30.
var rng = SplitMix64(seed: 7)
let devices = ["pump-1", "pump-2", "fan-1"]
for second in 0..<2_400 {
    let now = start + .seconds(second)
    var batch: [Record] = []
    for (i, device) in devices.enumerated() {
        var temperature = 20 + Double(i) * 5 + rng.noise()
        if device == "pump-2" && second == 1_800 { temperature += 40 }
        batch.append(Record([
            "DeviceId": .string(device), "DeviceType": .string(device.hasPrefix("pump") ? "pump" : "fan"),
            "Temperature": .float(temperature), "Pressure": .float(101 + rng.noise()), "Vibration": .float(3 + rng.noise()),
            "EventEnqueuedUtcTime": .string(now.iso8601),
        ]))
    }
    try await engine.push(batch, to: "IoTHubInput", arrival: now)
}
try await engine.finish()
let counters = await engine.counters
print("events in:", counters.inputEvents["IoTHubInput"] ?? 0, "alerts:", try await alerts.value,
      "aggregates:", try await aggregates.value, "errors:", counters.evaluationErrors + counters.malformedEvents)

/// A small deterministic generator: the same telemetry on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-0.5, 0.5).
    mutating func noise() -> Double { Double(next() >> 11) / Double(1 << 53) - 0.5 }
}
