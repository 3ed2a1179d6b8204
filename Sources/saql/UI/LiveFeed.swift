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
    private var timeline: [Value] = []
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
        func counts(_ d: [String: Int]) -> Value {
            let keys = d.keys.sorted()
            return .record(Record(names: keys, values: keys.map { .bigint(Int64(d[$0] ?? 0)) }))
        }
        var message = Record()
        message.set("type", .string("update"))
        message.set("now", .datetime(Timestamp(ticks: now)))
        message.set("uptime", .float(Double(now - started) / 1e7))
        message.set("inputs", counts(c.inputEvents))
        message.set("outputs", counts(c.outputRows))
        message.set("held", .bigint(Int64(status.heldRows)))
        message.set("reasons", counts([
            "late_adjusted": c.lateAdjusted, "late_dropped": c.lateDropped,
            "out_of_order_adjusted": c.outOfOrderAdjusted, "out_of_order_dropped": c.outOfOrderDropped,
            "early_dropped": c.earlyDropped, "invalid_timestamp": c.invalidTimestamps, "malformed": c.malformedEvents,
            "evaluation_error": c.evaluationErrors, "output_error": c.outputErrors,
        ]))
        message.set("operators", .array(status.operators.map { o in
            var r = Record(names: ["id", "name", "rowsOut", "held"],
                           values: [.bigint(Int64(o.id)), .string(o.name), .bigint(Int64(o.rowsOut)), .bigint(Int64(o.heldRows))])
            if let w = o.watermark, w != .max { r.set("watermark", .datetime(Timestamp(ticks: w))) }
            return .record(r)
        }))
        var time = Record(names: ["at"], values: [.float(Double(now - started) / 1e7)])
        var watermarks = Record()
        for (input, w) in status.watermarks where w != .max {
            var entry = Record(names: ["watermark", "wallDelay"], values: [.datetime(Timestamp(ticks: w)), .float(Double(now - w) / 1e7)])
            if let t = status.newestTimes[input] { entry.set("arrivalDelay", .float(Double(t - w) / 1e7)) }
            watermarks.set(input, .record(entry))
        }
        for p in status.partitionTimes where p.watermark != .min && p.watermark != .max {
            watermarks.set("\(p.input) · partition \(p.partition)", .record(Record(
                names: ["watermark", "wallDelay", "arrivalDelay"],
                values: [.datetime(Timestamp(ticks: p.watermark)), .float(Double(now - p.watermark) / 1e7), .float(Double(p.newest - p.watermark) / 1e7)])))
        }
        time.set("inputs", .record(watermarks))
        if !status.lags.isEmpty {
            time.set("lags", .array(status.lags.map {
                .record(Record(names: ["input", "partition", "lag"], values: [.string($0.input), .bigint(Int64($0.partition)), .bigint($0.lag)]))
            }))
        }
        timeline.append(.record(time))
        if timeline.count > 1200 { timeline.removeFirst(timeline.count - 1200) }
        message.set("time", .record(time))
        if let cp = c.lastCheckpoint {
            message.set("checkpoint", .record(Record(names: ["at", "ms", "bytes", "count"], values: [
                .datetime(Timestamp(ticks: cp.at)), .float(Double(cp.duration) / 1e4), .bigint(Int64(cp.bytes)), .bigint(Int64(c.checkpoints)),
            ])))
        }
        message.set("rows", Self.rowsValue(newRows))
        for (output, batch) in newRows {
            var list = rows[output, default: []]
            list.append(contentsOf: batch)
            if list.count > Self.keptRows { list.removeFirst(list.count - Self.keptRows) }
            rows[output] = list
        }
        newRows = [:]
        message.set("samples", .array(newSamples.map(Self.sampleValue)))
        newSamples = []
        message.set("notices", Self.noticesValue(newNotices))
        newNotices = []
        return Self.json(.record(message))
    }

    /// What a page that connects now starts from: recent rows, samples, notices and the timeline.
    var history: String {
        lock.lock()
        defer { lock.unlock() }
        return Self.json(.record(Record(names: ["type", "rows", "samples", "notices", "timeline"], values: [
            .string("history"), Self.rowsValue(rows), .array(samples.keys.sorted().flatMap { samples[$0] ?? [] }.map(Self.sampleValue)),
            Self.noticesValue(notices), .array(timeline),
        ])))
    }

    private static func rowsValue(_ rows: [String: [(row: Record, time: Int64)]]) -> Value {
        let names = rows.keys.sorted()
        return .record(Record(names: names, values: names.map { name in
            .array((rows[name] ?? []).map { .record(Record(names: ["t", "row"], values: [.datetime(Timestamp(ticks: $0.time)), .record($0.row)])) })
        }))
    }

    private static func noticesValue(_ list: [(at: Int64, text: String)]) -> Value {
        .array(list.map { .record(Record(names: ["at", "text"], values: [.datetime(Timestamp(ticks: $0.at)), .string($0.text)])) })
    }

    private static func sampleValue(_ d: DeadLetter) -> Value {
        var r = Record(names: ["reason", "input", "detail"], values: [.string(d.reason.rawValue), .string(d.input), .string(d.detail)])
        if let p = d.position { r.set("position", .string(p)) }
        for (name, t) in [("arrival_time", d.arrivalTime), ("watermark", d.watermark), ("original_time", d.originalTime),
                          ("adjusted_time", d.adjustedTime)] {
            if let t { r.set(name, .datetime(Timestamp(ticks: t))) }
        }
        if let e = d.event { r.set("event", .record(e)) }
        return .record(r)
    }

    /// JSON text with saql's value forms (ISO-8601 datetimes, as outputs write them).
    static func json(_ v: Value) -> String {
        var out: [UInt8] = []
        JSONWriter.append(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
