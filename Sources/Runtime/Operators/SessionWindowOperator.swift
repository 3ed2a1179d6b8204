import HeapModule
import Planner

/// SessionWindow(timeout, maxDuration) [OVER (PARTITION BY ...)].
///
/// A session starts at an event and grows while each next event comes within `timeout` of the
/// previous one. It ends at `last + timeout`, or earlier at the first multiple of `maxDuration`
/// (aligned to the epoch) at least `maxDuration` after its start; a session cut that way is
/// followed by one opened at the cut, which is how a session can outlast `maxDuration`. It covers
/// `(start, end]` and emits one row per group at `end`, once the watermark passes it. Without
/// PARTITION BY, sessions span all events and GROUP BY keys split each session's rows.
package final class SessionWindowOperator: EmittingOnWatermark {
    package var name: String { "SessionWindow" }
    package let downstream = Downstream()
    private let timeout: Int64
    private let maxDuration: Int64
    private let partitionKeys: [CompiledExpr]
    private let keys: [CompiledExpr]
    private let inputs: [CompiledExpr?]
    private let calls: [AggregateCall]
    private let context: RuntimeContext
    @exclusivity(unchecked) private var partitions = GroupTable(width: 0)
    @exclusivity(unchecked) private var sessions: [Session] = []
    /// Candidate end times; stale entries (the session grew since) are skipped when popped.
    @exclusivity(unchecked) private var ends = Heap<Candidate>()
    @exclusivity(unchecked) private var closed: [(end: Int64, rows: EventBatch)] = []

    private final class Session {
        @exclusivity(unchecked) var open = false
        @exclusivity(unchecked) var start: Int64 = 0
        @exclusivity(unchecked) var last: Int64 = 0
        @exclusivity(unchecked) var groups: GroupTable
        let columns: [any GroupAccumulator]
        /// After a cut at a max-duration boundary: the boundary and the previous session's last event.
        @exclusivity(unchecked) var carry: (start: Int64, last: Int64)?
        init(keys: Int, calls: [AggregateCall]) {
            groups = GroupTable(width: keys)
            columns = calls.map { $0.implementation.makeGroupStates($0) }
        }
    }

    private struct Candidate: Comparable {
        var end: Int64
        var partition: Int
        static func < (a: Candidate, b: Candidate) -> Bool { (a.end, a.partition) < (b.end, b.partition) }
    }

    package init(_ spec: WindowAggregate, timeout: TimeSpan, maxDuration: TimeSpan, partitionBy: [BoundExpr],
                context: RuntimeContext) {
        self.timeout = timeout.ticks
        self.maxDuration = maxDuration.ticks
        partitionKeys = partitionBy.map(ExprCompiler.compile)
        partitions = GroupTable(width: partitionBy.count)
        keys = spec.keys.map(ExprCompiler.compile)
        calls = spec.aggregates
        inputs = spec.aggregates.map { $0.input.map(ExprCompiler.compile) }
        self.context = context
    }

    /// Groups of open sessions, and rows of closed sessions waiting for the watermark.
    package var heldRows: Int {
        sessions.reduce(0) { $0 + ($1.open ? $1.groups.count : 0) } + closed.reduce(0) { $0 + $1.rows.count }
    }


    /// The session's end: its timeout, or the first max-duration boundary at least `maxDuration` after its start.
    private func end(of s: Session) -> Int64 {
        let cut = (s.start + maxDuration).ceilDiv(maxDuration) * maxDuration
        return min(s.last + timeout, cut)
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        var pkey = [Value](repeating: .null, count: max(partitionKeys.count, 1))
        var key = [Value](repeating: .null, count: max(keys.count, 1))
        var args = [Value](repeating: .null, count: calls.count)
        try batch.forEachRow { _, row in
            do throws(EvalError) {
                for k in partitionKeys.indices { pkey[k] = try partitionKeys[k](row) }
                for k in keys.indices { key[k] = try keys[k](row) }
                for (a, input) in inputs.enumerated() { args[a] = try input?(row) ?? .null }
            } catch {
                context.rowError(error, in: "GROUP BY")
                return
            }
            let (p, newPartition) = partitions.slot(for: pkey)
            if newPartition { sessions.append(Session(keys: keys.count, calls: calls)) }
            let s = sessions[p]
            let t = row.time
            if s.open && t > end(of: s) { try close(p) }
            if !s.open {
                s.open = true
                if let carry = s.carry, t - carry.last <= timeout, t > carry.start {
                    s.start = carry.start
                } else {
                    s.start = t
                }
                s.carry = nil
                s.last = t
            }
            s.last = max(s.last, t)
            let (slot, inserted) = s.groups.slot(for: key)
            if inserted { for c in s.columns { c.grow(to: slot + 1) } }
            for (a, column) in s.columns.enumerated() {
                do throws(EvalError) { try column.add(slot, args[a]) } catch { context.rowError(error, in: calls[a].function.name) }
            }
            ends.insert(Candidate(end: end(of: s), partition: p))
        }
    }

    /// Closes a partition's open session: its rows are kept until the watermark passes its end.
    private func close(_ p: Int) throws {
        let s = sessions[p]
        let e = end(of: s)
        var out = EventBatch(width: keys.count + calls.count, capacity: s.groups.count)
        let k = keys.count
        for slot in 0..<s.groups.count {
            out.values.appendCopies(of: s.groups.keys[(slot * k)..<((slot + 1) * k)])
            for c in s.columns { out.values.append(WindowAggregateOperator.result(of: c, slot, context)) }
            out.times.append(e)
        }
        s.groups.removeAll()
        for c in s.columns { c.reset() }
        s.open = false
        s.carry = e < s.last + timeout ? (start: e, last: s.last) : nil
        closed.append((e, out))
    }


    func emit(before w: Int64) throws {
        while let c = ends.min, c.end < w {
            ends.removeMin()
            let s = sessions[c.partition]
            if s.open && end(of: s) == c.end { try close(c.partition) }
        }
        closed.sort { $0.end < $1.end }
        while let first = closed.first, first.end < w {
            closed.removeFirst()
            try downstream.emit(first.rows)
        }
    }
}

extension SessionWindowOperator {
    package static var stateVersion: Int { 2 }
    package static var summarizesEvents: Bool { true }

    package func saveState(into w: inout StateWriter) {
        partitions.save(into: &w)
        for session in sessions {
            w.write(session.open)
            w.write(session.start)
            w.write(session.last)
            w.write(session.carry != nil)
            w.write(session.carry?.start ?? 0)
            w.write(session.carry?.last ?? 0)
            session.groups.save(into: &w)
            for c in session.columns {
                for slot in 0..<session.groups.count { c.save(slot, into: &w) }
            }
        }
        let candidates = ends.unordered
        w.write(candidates.map(\.end))
        w.write(candidates.map { Int64($0.partition) })
        w.write(closed.count)
        for (end, rows) in closed {
            w.write(end)
            w.write(rows)
        }
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        partitions = try GroupTable.restore(from: &r, width: partitionKeys.count)
        sessions = []
        for _ in 0..<partitions.count {
            let session = Session(keys: keys.count, calls: calls)
            session.open = try r.readBool()
            session.start = try r.readEventTime()
            session.last = try r.readEventTime()
            let hasCarry = try r.readBool()
            let carry = (start: try r.readEventTime(), last: try r.readEventTime())
            session.carry = hasCarry ? carry : nil
            session.groups = try GroupTable.restore(from: &r, width: keys.count)
            for c in session.columns {
                c.grow(to: session.groups.count)
                for slot in 0..<session.groups.count { try c.restore(slot, from: &r) }
            }
            sessions.append(session)
        }
        let endTimes = try r.readInt64s(), owners = try r.readInt64s()
        guard endTimes.count == owners.count, owners.allSatisfy({ $0 >= 0 && Int($0) < sessions.count }),
              endTimes.allSatisfy({ $0.magnitude < 1 << 62 }) else {
            throw StateError("session window state has a wrong shape")
        }
        ends = Heap(zip(endTimes, owners).map { Candidate(end: $0.0, partition: Int($0.1)) })
        closed = []
        for _ in 0..<(try r.readCount(elementSize: 16)) { closed.append((try r.readTime(), try r.readBatch(width: keys.count + calls.count))) }
    }
}
