import Planner

/// Merges the rows of several ports into event-time order, as ASA delivers an output: a row waits
/// until every port's watermark has passed its time, so no port can still send an earlier one.
///
/// Rows with equal times come in port order (the UNION's branches, or the statements writing the
/// output, as written), each port's in the order it sent them. The order does not depend on how
/// rows were batched, so a run gives the same output for every batch size and after a restart.
/// With one port rows pass straight through: they are already in that port's order.
struct TimeMerge {
    private(set) var clock: PortClock
    /// Rows not yet released, per port.
    private var pending: [EventBatch]
    /// The earliest time held, per port (`Int64.max` when none): a watermark that passes none
    /// releases without a scan.
    private var earliest: [Int64]
    private let widths: [Int]

    init(widths: [Int]) {
        self.widths = widths
        clock = PortClock(ports: widths.count)
        pending = widths.map { EventBatch(width: $0) }
        earliest = widths.map { _ in .max }
    }

    /// True when rows must wait for the other ports.
    var merges: Bool { widths.count > 1 }

    /// Rows held back.
    var heldRows: Int { pending.reduce(0) { $0 + $1.count } }

    /// Holds a port's rows until the watermark passes them.
    mutating func add(_ batch: EventBatch, port: Int) {
        pending[port].values.appendCopies(of: batch.values)
        pending[port].times.append(contentsOf: batch.times)
        earliest[port] = min(earliest[port], batch.times.min() ?? .max)
    }

    /// Records a port's watermark; returns the combined one and the rows it releases, in order.
    mutating func advance(_ port: Int, to w: Watermark) -> (watermark: Watermark, released: [(port: Int, rows: EventBatch)]) {
        let combined = clock.advance(port, to: w)
        return (combined, release(before: combined.time))
    }

    /// Marks a port ended; returns whether every port has, the combined watermark and what it releases.
    mutating func end(_ port: Int) -> (allEnded: Bool, watermark: Watermark, released: [(port: Int, rows: EventBatch)]) {
        let all = clock.end(port)
        let combined = all ? Watermark.endOfInput : clock.combined
        return (all, combined, release(before: all ? .max : combined.time))
    }

    /// Every held row with a time before `time` (all of them for `.max`), by time, then port, then
    /// the order the port sent them; consecutive rows of one port share a batch.
    private mutating func release(before time: Int64) -> [(port: Int, rows: EventBatch)] {
        guard let first = earliest.min(), first < time || (time == .max && first < .max) else { return [] }
        var ready: [(time: Int64, port: Int, row: Int)] = []
        for p in pending.indices {
            for (i, t) in pending[p].times.enumerated() where t < time || time == .max { ready.append((t, p, i)) }
        }
        guard !ready.isEmpty else { return [] }
        ready.sort { ($0.time, $0.port, $0.row) < ($1.time, $1.port, $1.row) }
        var out: [(port: Int, rows: EventBatch)] = []
        for r in ready {
            if out.last?.port != r.port { out.append((r.port, EventBatch(width: widths[r.port]))) }
            out[out.count - 1].rows.append(pending[r.port].row(r.row), time: r.time)
        }
        for p in pending.indices {
            var kept = EventBatch(width: widths[p])
            for (i, t) in pending[p].times.enumerated() where !(t < time || time == .max) { kept.append(pending[p].row(i), time: t) }
            pending[p] = kept
            earliest[p] = kept.times.min() ?? .max
        }
        return out
    }

    func save(into w: inout StateWriter) {
        clock.save(into: &w)
        for batch in pending { w.write(batch) }
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        try clock.restore(from: &r)
        for p in pending.indices {
            pending[p] = try r.readBatch(width: widths[p])
            earliest[p] = pending[p].times.min() ?? .max
        }
    }
}

/// An operator whose state is its ports' merge of rows into event-time order (a UNION, a sink).
protocol TimeMergingOperator: Operator {
    var merge: TimeMerge { get set }
}

extension TimeMergingOperator {
    package static var stateVersion: Int { 2 }
    /// Held rows are in flight, not a summary of events already read.
    package static var summarizesEvents: Bool { false }
    package var heldRows: Int { merge.heldRows }
    package func saveState(into w: inout StateWriter) { merge.save(into: &w) }
    package func restoreState(from r: inout StateReader) throws(StateError) {
        var m = merge
        try m.restore(from: &r)
        merge = m
    }
}
