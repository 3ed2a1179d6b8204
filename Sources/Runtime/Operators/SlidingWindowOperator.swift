import DequeModule
import HeapModule
import Planner

/// SlidingWindow(size): one output per group whenever an event enters or leaves its window, over
/// `(T - size, T]`, and never for an empty window. Outputs are produced as the watermark passes
/// each change time, in time order. Each event costs O(log n) (one heap push for its entry and one
/// for its exit) plus amortized O(1) aggregate updates, whatever the window size.
public final class SlidingWindowOperator: Operator {
    public let downstream = Downstream()
    private let size: Int64
    private let keys: [CompiledExpr]
    private let inputs: [CompiledExpr?]
    private let calls: [AggregateCall]
    private let context: RuntimeContext
    private var groups = GroupTable(width: 0)
    private var states: [Group] = []
    private var changes = Heap<Change>()

    private final class Group {
        let key: [Value]
        /// Rows not yet reached by the watermark, oldest first: (time, aggregate inputs).
        var pending = Deque<(time: Int64, values: [Value])>()
        /// Rows inside the window at the last change time processed.
        var active = Deque<(time: Int64, values: [Value])>()
        let aggregators: [SlidingAggregator]
        var lastEmitted = Int64.min
        init(key: [Value], calls: [AggregateCall]) {
            self.key = key
            aggregators = calls.map(SlidingAggregator.make)
        }
    }

    private struct Change: Comparable {
        var time: Int64
        var group: Int
        static func < (a: Change, b: Change) -> Bool { (a.time, a.group) < (b.time, b.group) }
    }

    public init(_ spec: WindowAggregate, size: Duration, context: RuntimeContext) {
        self.size = size.ticks
        keys = spec.keys.map(ExprCompiler.compile)
        calls = spec.aggregates
        inputs = spec.aggregates.map { Holistic.orderedInput($0).map(ExprCompiler.compile) }
        groups = GroupTable(width: spec.keys.count)
        self.context = context
    }

    public var stateDescription: String { "\(states.count) groups, \(changes.count) pending change points" }

    public func process(_ batch: EventBatch, port: Int) throws {
        var key = [Value](repeating: .null, count: max(keys.count, 1))
        batch.forEachRow { _, row in
            var values: [Value] = []
            do throws(EvalError) {
                for k in keys.indices { key[k] = try keys[k](row) }
                for input in inputs { values.append(try input?(row) ?? .null) }
            } catch {
                context.rowError(error, in: "GROUP BY")
                return
            }
            let g: Int = key.withUnsafeBufferPointer { kb in
                // swiftlint:disable:next force_unwrapping
                let base = kb.baseAddress!
                let (slot, inserted) = groups.slot(for: base, hash: GroupTable.hash(base, width: keys.count))
                if inserted { states.append(Group(key: Array(kb.prefix(keys.count)), calls: calls)) }
                return slot
            }
            let t = row.time
            let state = states[g]
            // Rows normally arrive in time order; keep `pending` sorted when they do not.
            var i = state.pending.count
            while i > 0 && state.pending[i - 1].time > t { i -= 1 }
            state.pending.insert((t, values), at: i)
            changes.insert(Change(time: t, group: g))
            changes.insert(Change(time: t &+ size, group: g))
        }
    }

    public func watermark(_ time: Int64, port: Int) throws {
        try emit(before: time)
        try downstream.watermark(time)
    }

    public func finish(port: Int) throws {
        try emit(before: .max)
        try downstream.finish()
    }

    private func emit(before w: Int64) throws {
        var out = EventBatch(width: keys.count + calls.count)
        while let c = changes.min, c.time < w {
            changes.removeMin()
            let state = states[c.group]
            if state.lastEmitted == c.time { continue }  // several changes at one time: one output
            var errors: [EvalError] = []
            while let first = state.pending.first, first.time <= c.time {
                state.pending.removeFirst()
                for (a, agg) in state.aggregators.enumerated() {
                    do throws(EvalError) { try agg.add(first.values[a]) } catch { errors.append(error) }
                }
                state.active.append(first)
            }
            while let oldest = state.active.first, oldest.time <= c.time - size {
                state.active.removeFirst()
                for (a, agg) in state.aggregators.enumerated() { agg.removeOldest(oldest.values[a]) }
            }
            for e in errors { context.rowError(e, in: "aggregate") }
            guard !state.active.isEmpty else { continue }
            state.lastEmitted = c.time
            out.values.append(contentsOf: state.key.prefix(keys.count))
            for (a, agg) in state.aggregators.enumerated() {
                out.values.append(agg.result { state.active.map { $0.values[a] } })
            }
            out.times.append(c.time)
        }
        try downstream.emit(out)
    }
}
