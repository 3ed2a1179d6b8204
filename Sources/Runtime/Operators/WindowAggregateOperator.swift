import Planner

/// Windowed GROUP BY for tumbling and hopping windows.
///
/// Windows cover `(end - size, end]` and end at `k * hop + offset`. Each row is added to every window
/// containing its event time. A window is emitted once the watermark passes its end, one row per
/// group in first-seen order: the group keys, then the aggregates, timestamped at the window end.
/// Windows with no rows emit nothing.
public final class WindowAggregateOperator: Operator {
    public let downstream = Downstream()
    private let size: Int64
    private let hop: Int64
    private let offset: Int64
    private let keyExprs: [CompiledExpr]
    private let calls: [AggregateCall]
    private let argExprs: [CompiledExpr?]
    private let context: RuntimeContext

    private final class Window {
        let end: Int64
        let groups: GroupTable
        let columns: [AccumulatorColumn]
        init(end: Int64, groups: GroupTable, columns: [AccumulatorColumn]) {
            self.end = end
            self.groups = groups
            self.columns = columns
        }
    }

    /// Open windows by end time; few are open at once, so a sorted array is enough.
    private var open: [Window] = []
    private var spare: [(GroupTable, [AccumulatorColumn])] = []
    private var watermark = Int64.min

    public init(_ spec: WindowAggregate, context: RuntimeContext) {
        switch spec.window {
        case .tumbling(let s, let o):
            size = s.ticks
            hop = s.ticks
            offset = o.ticks
        case .hopping(let s, let h, let o):
            size = s.ticks
            hop = h.ticks
            offset = o.ticks
        }
        keyExprs = spec.keys.map(ExprCompiler.compile)
        calls = spec.aggregates
        argExprs = spec.aggregates.map { $0.argument.map(ExprCompiler.compile) }
        self.context = context
    }

    public var stateDescription: String {
        "\(open.count) open windows, \(open.reduce(0) { $0 + $1.groups.count }) groups"
    }

    private func window(ending end: Int64) -> Window {
        // Most rows land in the newest window; search from the back.
        var i = open.count
        while i > 0 {
            let w = open[i - 1]
            if w.end == end { return w }
            if w.end < end { break }
            i -= 1
        }
        let (groups, columns) = spare.popLast() ?? (GroupTable(width: keyExprs.count), calls.map(makeAccumulator))
        let w = Window(end: end, groups: groups, columns: columns)
        open.insert(w, at: i)
        return w
    }

    public func process(_ batch: EventBatch, port: Int) throws {
        let keyCount = keyExprs.count
        var key = [Value](repeating: .null, count: max(keyCount, 1))
        var args = [Value](repeating: .null, count: calls.count)
        var current: Window?
        batch.forEachRow { _, row in
            do throws(EvalError) {
                for k in 0..<keyCount { key[k] = try keyExprs[k](row) }
                for (a, e) in argExprs.enumerated() { args[a] = try e?(row) ?? .null }
            } catch {
                context.rowError(error, in: "GROUP BY")
                return
            }
            let t = row.time
            // The first window end at or after t, then every later hop while the window still covers t.
            var end = (t - offset).ceilDiv(hop) * hop + offset
            while end - size < t {
                let w: Window
                if let c = current, c.end == end { w = c } else { w = window(ending: end); current = w }
                key.withUnsafeBufferPointer { kb in
                    // swiftlint:disable:next force_unwrapping
                    let base = kb.baseAddress!
                    let (slot, inserted) = w.groups.slot(for: base, hash: GroupTable.hash(base, width: keyCount))
                    if inserted { for c in w.columns { c.grow(to: slot + 1) } }
                    for (a, column) in w.columns.enumerated() {
                        let v = args[a]
                        if v.isNull && !column.countsNulls { continue }
                        do throws(EvalError) { try column.add(slot, v) } catch { context.rowError(error, in: calls[a].function.rawValue) }
                    }
                }
                end += hop
            }
        }
    }

    public func watermark(_ time: Int64, port: Int) throws {
        guard time > watermark else { return }
        watermark = time
        try emitWindows(before: time)
        try downstream.watermark(time)
    }

    public func finish(port: Int) throws {
        try emitWindows(before: .max)
        try downstream.finish()
    }

    /// Emits and recycles every window whose end is below `time`.
    private func emitWindows(before time: Int64) throws {
        while let first = open.first, first.end < time {
            open.removeFirst()
            let width = keyExprs.count + calls.count
            var out = EventBatch(width: width, capacity: first.groups.count)
            let keyCount = keyExprs.count
            for slot in 0..<first.groups.count {
                out.values.append(contentsOf: first.groups.keys[(slot * keyCount)..<((slot + 1) * keyCount)])
                for c in first.columns { out.values.append(c.result(slot)) }
                out.times.append(first.end)
            }
            first.groups.removeAll()
            for c in first.columns { c.reset() }
            spare.append((first.groups, first.columns))
            try downstream.emit(out)
        }
    }
}

extension Int64 {
    /// Division rounding toward positive infinity.
    @inline(__always)
    func ceilDiv(_ d: Int64) -> Int64 { -((-self).floorDiv(d)) }
}
