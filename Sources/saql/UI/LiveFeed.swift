import Foundation
import Planner
import Runtime

/// What the live page shows, gathered on the pipeline's thread: the outputs' rows (through the
/// output tap), dropped and adjusted events by reason (through the dead-letter hook), notices
/// (restores, rebalances), and each progress snapshot. ``update(_:)`` turns what came in since the
/// last one into one JSON message for the page's stream; ``history`` is what a page that connects
/// later starts from. Samples are capped, so a busy job sends a few kilobytes per update.
/// The server's threads ask for ``history``; a lock guards the state.
final class LiveFeed: @unchecked Sendable {
    private let lock = NSLock()
    /// Rows kept per output for the page's table and chart, and sent per update.
    static let keptRows = 400, rowsPerUpdate = 200
    /// Samples kept per reason.
    static let keptSamples = 5

    private var rows: [String: [(row: Record, time: Int64)]] = [:]
    private var newRows: [String: [(row: Record, time: Int64)]] = [:]
    private var samples: [String: [DeadLetter]] = [:]
    private var newSamples: [DeadLetter] = []
    private var notices: [(at: Int64, text: String)] = []
    private var newNotices: [(at: Int64, text: String)] = []
    private var timeline: [[String: Any]] = []
    private let started = Timestamp.now.ticks

    func tap(_ output: String, _ batch: [(row: Record, time: Int64)]) {
        lock.lock()
        defer { lock.unlock() }
        var list = newRows[output, default: []]
        list.append(contentsOf: batch.suffix(Self.rowsPerUpdate))
        if list.count > Self.rowsPerUpdate { list.removeFirst(list.count - Self.rowsPerUpdate) }
        newRows[output] = list
    }

    func deadLetter(_ d: DeadLetter) {
        // Only the samples are kept: the counts come from the counters.
        let reason = d.reason.rawValue
        lock.lock()
        defer { lock.unlock() }
        if samples[reason, default: []].count >= Self.keptSamples { samples[reason]?.removeFirst() }
        samples[reason, default: []].append(d)
        if newSamples.count < 50 { newSamples.append(d) }
    }

    func notice(_ text: String) {
        let n = (Timestamp.now.ticks, text)
        lock.lock()
        defer { lock.unlock() }
        notices.append(n)
        if notices.count > 50 { notices.removeFirst() }
        newNotices.append(n)
    }

    /// One stream message: the counters and figures now, and what came in since the last message.
    func update(_ status: PipelineStatus) -> String {
        lock.lock()
        defer { lock.unlock() }
        let now = Timestamp.now.ticks
        let c = status.counters
        var message: [String: Any] = [
            "type": "update",
            "now": Self.iso(now),
            "uptime": Double(now - started) / 1e7,
            "inputs": c.inputEvents,
            "outputs": c.outputRows,
            "held": status.heldRows,
            "reasons": [
                "late_adjusted": c.lateAdjusted, "late_dropped": c.lateDropped,
                "out_of_order_adjusted": c.outOfOrderAdjusted, "out_of_order_dropped": c.outOfOrderDropped,
                "early_dropped": c.earlyDropped, "invalid_timestamp": c.invalidTimestamps, "malformed": c.malformedEvents,
                "evaluation_error": c.evaluationErrors, "output_error": c.outputErrors,
            ],
            "operators": status.operators.map { o -> [String: Any] in
                var r: [String: Any] = ["id": o.id, "name": o.name, "rowsOut": o.rowsOut, "held": o.heldRows]
                if let w = o.watermark, w != .max { r["watermark"] = Self.iso(w) }
                return r
            },
        ]
        var time: [String: Any] = ["at": Double(now - started) / 1e7]
        var watermarks: [String: Any] = [:]
        for (input, w) in status.watermarks where w != .max {
            var entry: [String: Any] = ["watermark": Self.iso(w), "wallDelay": Double(now - w) / 1e7]
            if let t = status.newestTimes[input] { entry["arrivalDelay"] = Double(t - w) / 1e7 }
            watermarks[input] = entry
        }
        time["inputs"] = watermarks
        if !status.lags.isEmpty {
            time["lags"] = status.lags.map { ["input": $0.input, "partition": Int($0.partition), "lag": Int($0.lag)] as [String: Any] }
        }
        timeline.append(time)
        if timeline.count > 1200 { timeline.removeFirst(timeline.count - 1200) }
        message["time"] = time
        if let cp = c.lastCheckpoint {
            message["checkpoint"] = ["at": Self.iso(cp.at), "ms": Double(cp.duration) / 1e4, "bytes": cp.bytes, "count": c.checkpoints]
        }
        message["rows"] = Self.rowsJSON(newRows)
        for (output, batch) in newRows {
            var list = rows[output, default: []]
            list.append(contentsOf: batch)
            if list.count > Self.keptRows { list.removeFirst(list.count - Self.keptRows) }
            rows[output] = list
        }
        newRows = [:]
        message["samples"] = newSamples.map(Self.sampleJSON)
        newSamples = []
        message["notices"] = newNotices.map { ["at": Self.iso($0.at), "text": $0.text] }
        newNotices = []
        return Self.json(message)
    }

    /// What a page that connects now starts from: recent rows, samples, notices and the timeline.
    var history: String {
        lock.lock()
        defer { lock.unlock() }
        return Self.json([
            "type": "history",
            "rows": Self.rowsJSON(rows),
            "samples": samples.values.flatMap { $0 }.map(Self.sampleJSON),
            "notices": notices.map { ["at": Self.iso($0.at), "text": $0.text] },
            "timeline": timeline,
        ])
    }

    private static func rowsJSON(_ rows: [String: [(row: Record, time: Int64)]]) -> [String: Any] {
        rows.mapValues { batch in batch.map { r -> [String: Any] in ["t": iso(r.time), "row": jsonObject(.record(r.row))] } }
    }

    private static func sampleJSON(_ d: DeadLetter) -> [String: Any] {
        var r: [String: Any] = ["reason": d.reason.rawValue, "input": d.input, "detail": d.detail]
        if let p = d.position { r["position"] = p }
        for (name, t) in [("arrival_time", d.arrivalTime), ("watermark", d.watermark), ("original_time", d.originalTime),
                          ("adjusted_time", d.adjustedTime)] {
            if let t { r[name] = iso(t) }
        }
        if let e = d.event { r["event"] = jsonObject(.record(e)) }
        return r
    }

    /// A value as JSONSerialization takes it, through saql's own JSON text (its datetime and float forms).
    private static func jsonObject(_ v: Value) -> Any {
        var out: [UInt8] = []
        JSONWriter.append(v, to: &out)
        return (try? JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed])) ?? NSNull()
    }

    static func iso(_ ticks: Int64) -> String { Timestamp(ticks: ticks).iso8601 }

    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
