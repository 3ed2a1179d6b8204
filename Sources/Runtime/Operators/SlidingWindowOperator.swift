import DequeModule
import HeapModule
import Planner

/// SlidingWindow(size): one output per group whenever an event enters or leaves its window, over
/// `(T - size, T]`, and never for an empty window. Outputs are produced as the watermark passes
/// each change time, in time order.
///
/// Cost per event is O(1) amortized, whatever the window size: rows arrive in event-time order, so
/// entry times and exit times (entry + size) each form a FIFO queue, merged when emitting; a heap
/// takes only the rare rows that arrive out of order (after a UNION, say). Aggregates update
/// incrementally (see `WindowAccumulator`).
///
/// With a `grid`, the same machinery computes a hopping window: outputs at the window ends
/// `k * hop + offset` whose window `(end - size, end]` holds events of the group, each value added
/// once and removed once. The factory uses it for aggregates that prefer retraction (a JavaScript
/// UDA with `deaccumulate`), where adding each value to every window covering it would cost
/// `size / hop` calls per value.
package final class SlidingWindowOperator: EmittingOnWatermark {
    package var name: String { grid == nil ? "SlidingWindow" : "HoppingWindow" }
    package let downstream = Downstream()
    private let size: Int64
    /// Hopping mode: the window ends' spacing and offset.
    private let grid: (hop: Int64, offset: Int64)?
    private let keys: [CompiledExpr]
    private let inputs: [CompiledExpr?]
    private let calls: [AggregateCall]
    private let context: RuntimeContext
    @exclusivity(unchecked) private var groups = GroupTable(width: 0)
    @exclusivity(unchecked) private var states: [Group] = []
    @exclusivity(unchecked) private var entries = Deque<Change>()
    @exclusivity(unchecked) private var exits = Deque<Change>()
    @exclusivity(unchecked) private var unordered = Heap<Change>()
    @exclusivity(unchecked) private var lastEntry = Int64.min

    /// One group's rows: `pending` not yet reached by the watermark, `active` inside the window at the
    /// last change processed. Values are stored flat, `calls.count` per row.
    private final class Group {
        let key: [Value]
        @exclusivity(unchecked) var pendingTimes = Deque<Int64>()
        @exclusivity(unchecked) var pendingValues = Deque<Value>()
        @exclusivity(unchecked) var activeTimes = Deque<Int64>()
        @exclusivity(unchecked) var activeValues = Deque<Value>()
        let aggregators: [any WindowAccumulator]
        @exclusivity(unchecked) var lastEmitted = Int64.min
        /// Hopping mode: the latest window end scheduled for this group.
        @exclusivity(unchecked) var scheduledUntil = Int64.min
        init(key: [Value], calls: [AggregateCall]) {
            self.key = key
            aggregators = calls.map { $0.implementation.makeWindowState($0) }
        }
    }

    private struct Change: Comparable {
        var time: Int64
        var group: Int
        static func < (a: Change, b: Change) -> Bool { (a.time, a.group) < (b.time, b.group) }
    }

    package init(_ spec: WindowAggregate, size: TimeSpan, grid: (hop: Int64, offset: Int64)? = nil, context: RuntimeContext) {
        self.size = size.ticks
        self.grid = grid
        keys = spec.keys.map(ExprCompiler.compile)
        calls = spec.aggregates
        inputs = spec.aggregates.map { $0.input.map(ExprCompiler.compile) }
        groups = GroupTable(width: spec.keys.count)
        self.context = context
    }

    /// Events held in every group's window, waiting or active.
    package var heldRows: Int { states.reduce(0) { $0 + $1.pendingTimes.count + $1.activeTimes.count } }


    package func process(_ batch: EventBatch, port: Int) throws {
        var key = [Value](repeating: .null, count: max(keys.count, 1))
        var values = [Value](repeating: .null, count: calls.count)
        batch.forEachRow { _, row in
            do throws(EvalError) {
                for k in keys.indices { key[k] = try keys[k](row) }
                for (a, input) in inputs.enumerated() { values[a] = try input?(row) ?? .null }
            } catch {
                context.rowError(error, in: "GROUP BY")
                return
            }
            let (g, inserted) = groups.slot(for: key)
            if inserted { states.append(Group(key: Array(key.prefix(keys.count)), calls: calls)) }
            let t = row.time
            let state = states[g]
            if let grid {
                schedule(t, values, in: state, group: g, grid)
                return
            }
            if t >= lastEntry && (state.pendingTimes.last ?? .min) <= t {
                lastEntry = t
                state.pendingTimes.append(t)
                state.pendingValues.append(contentsOf: values)
                entries.append(Change(time: t, group: g))
                exits.append(Change(time: t &+ size, group: g))
            } else {
                // Out of time order: keep the group's pending rows sorted and use the heap.
                var i = state.pendingTimes.count
                while i > 0 && state.pendingTimes[i - 1] > t { i -= 1 }
                state.pendingTimes.insert(t, at: i)
                state.pendingValues.insert(contentsOf: values, at: i * calls.count)
                unordered.insert(Change(time: t, group: g))
                unordered.insert(Change(time: t &+ size, group: g))
            }
        }
    }


    /// Hopping mode: keeps the row pending (in time order) and schedules the window ends that
    /// cover it, `end` in `[t, t + size)` on the grid. A row in order for its group schedules only
    /// the ends past those already scheduled (they cover the rest); one out of order, all of its
    /// ends (the group may have had no window there). Ends go to the heap: groups' ends interleave.
    private func schedule(_ t: Int64, _ rowValues: [Value], in state: Group, group g: Int, _ grid: (hop: Int64, offset: Int64)) {
        let inOrder = (state.pendingTimes.last ?? .min) <= t && (state.activeTimes.last ?? .min) <= t
        if inOrder {
            state.pendingTimes.append(t)
            state.pendingValues.append(contentsOf: rowValues)
        } else {
            var i = state.pendingTimes.count
            while i > 0 && state.pendingTimes[i - 1] > t { i -= 1 }
            state.pendingTimes.insert(t, at: i)
            state.pendingValues.insert(contentsOf: rowValues, at: i * calls.count)
        }
        var end = (t - grid.offset).ceilDiv(grid.hop) * grid.hop + grid.offset
        if inOrder && state.scheduledUntil != .min { end = max(end, state.scheduledUntil + grid.hop) }
        while end < t + size {
            unordered.insert(Change(time: end, group: g))
            state.scheduledUntil = max(state.scheduledUntil, end)
            end += grid.hop
        }
    }

    /// The earliest pending change point, removed.
    private func nextChange(before w: Int64) -> Change? {
        var best: Change?
        if let e = entries.first, e.time < w { best = e }
        if let x = exits.first, x.time < w, best.map({ x < $0 }) ?? true { best = x }
        if let u = unordered.min, u.time < w, best.map({ u < $0 }) ?? true { best = u }
        guard let c = best else { return nil }
        if let e = entries.first, e == c { entries.removeFirst() } else if let x = exits.first, x == c { exits.removeFirst() } else {
            unordered.removeMin()
        }
        return c
    }

    func emit(before w: Int64) throws {
        var out = EventBatch(width: keys.count + calls.count)
        let width = calls.count
        var errors: [EvalError] = []
        while let c = nextChange(before: w) {
            let state = states[c.group]
            if state.lastEmitted == c.time { continue }  // several changes at one time: one output
            while let first = state.pendingTimes.first, first <= c.time {
                state.pendingTimes.removeFirst()
                for (a, agg) in state.aggregators.enumerated() {
                    let v = state.pendingValues[a]
                    do throws(EvalError) { try agg.add(v) } catch { errors.append(error) }
                    state.activeValues.append(v)
                }
                state.pendingValues.removeFirst(width)
                state.activeTimes.append(first)
            }
            while let oldest = state.activeTimes.first, oldest <= c.time - size {
                state.activeTimes.removeFirst()
                for (a, agg) in state.aggregators.enumerated() { agg.removeOldest(state.activeValues[a]) }
                state.activeValues.removeFirst(width)
            }
            guard !state.activeTimes.isEmpty else { continue }
            state.lastEmitted = c.time
            var results: [Value] = []
            results.reserveCapacity(width)
            do throws(EvalError) {
                for (a, agg) in state.aggregators.enumerated() {
                    results.append(try agg.result { stride(from: a, to: state.activeValues.count, by: width).map { state.activeValues[$0] } })
                }
            } catch {
                errors.append(error)
                continue
            }
            out.values.appendCopies(of: state.key.prefix(keys.count))
            out.values.appendCopies(of: results)
            out.times.append(c.time)
            if out.count >= 4096 {
                try downstream.emit(out)
                out.removeAll()
            }
        }
        for e in errors.prefix(100) { context.rowError(e, in: "aggregate") }
        try downstream.emit(out)
    }
}

extension SlidingWindowOperator {
    package static var stateVersion: Int { 2 }
    package static var summarizesEvents: Bool { true }

    private static func save(_ changes: some Sequence<Change>, into w: inout StateWriter) {
        let list = Array(changes)
        w.write(list.map(\.time))
        w.write(list.map { Int64($0.group) })
    }

    private func restoreChanges(from r: inout StateReader) throws(StateError) -> [Change] {
        // Change points are event times or event times plus the window's size.
        let times = try r.readInt64s(), groups = try r.readInt64s()
        guard times.count == groups.count, times.allSatisfy({ $0.magnitude < 1 << 62 }), groups.allSatisfy({ $0 >= 0 && $0 < states.count }) else {
            throw StateError("sliding window state has a wrong shape")
        }
        return zip(times, groups).map { Change(time: $0.0, group: Int($0.1)) }
    }

    package func saveState(into w: inout StateWriter) {
        w.write(lastEntry)
        groups.save(into: &w)
        for g in states {
            w.write(Array(g.pendingTimes))
            w.write(Array(g.pendingValues))
            w.write(Array(g.activeTimes))
            w.write(Array(g.activeValues))
            w.write(g.lastEmitted)
            if grid != nil { w.write(g.scheduledUntil) }
            for a in g.aggregators { a.save(into: &w) }
        }
        Self.save(entries, into: &w)
        Self.save(exits, into: &w)
        Self.save(unordered.unordered, into: &w)
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        lastEntry = try r.readTime()
        groups = try GroupTable.restore(from: &r, width: keys.count)
        states = []
        for slot in 0..<groups.count {
            let g = Group(key: Array(groups.keys[(slot * keys.count)..<((slot + 1) * keys.count)]), calls: calls)
            g.pendingTimes = Deque(try r.readEventTimes())
            g.pendingValues = Deque(try r.readValues())
            g.activeTimes = Deque(try r.readEventTimes())
            g.activeValues = Deque(try r.readValues())
            g.lastEmitted = try r.readTime()
            if grid != nil {
                g.scheduledUntil = try r.readTime()
                guard g.scheduledUntil == .min || Timestamp.representable.contains(g.scheduledUntil) else {
                    throw StateError("a hopping window's next end is outside years 0001-9999")
                }
            }
            // Each kept event has one value per aggregate.
            guard g.pendingValues.count == g.pendingTimes.count * calls.count, g.activeValues.count == g.activeTimes.count * calls.count else {
                throw StateError("sliding window state has a wrong shape")
            }
            for a in g.aggregators { try a.restore(from: &r) }
            states.append(g)
        }
        entries = Deque(try restoreChanges(from: &r))
        exits = Deque(try restoreChanges(from: &r))
        unordered = Heap(try restoreChanges(from: &r))
        guard (entries + exits).allSatisfy({ $0.group < states.count }) else { throw StateError("sliding window state has a wrong shape") }
    }
}
