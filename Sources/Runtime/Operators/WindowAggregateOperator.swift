import Planner

/// Windowed GROUP BY for tumbling, hopping and snapshot windows (a snapshot is a tumbling window one
/// tick long: it holds exactly the events sharing a timestamp).
///
/// Windows cover `(end - size, end]` and end at `k * hop + offset`. Each row is added to every window
/// containing its event time. A window is emitted once the watermark passes its end, one row per
/// group in first-seen order: the group keys, then the aggregates, timestamped at the window end.
/// Windows with no rows emit nothing.
///
/// A batch is processed in phases: computed keys and arguments are evaluated per row, rows are
/// assigned to (window, group) slots, then each aggregate runs one tight loop per window. Hot state
/// lives in locals for the duration of a batch.
package final class WindowAggregateOperator: EmittingOnWatermark {
    package var name: String { "WindowAggregate" }
    package let downstream = Downstream()
    private let size: Int64
    private let hop: Int64
    private let offset: Int64
    private let calls: [AggregateCall]
    private let context: RuntimeContext
    /// A key or argument: a plain input column (read in place) or a compiled expression.
    private enum Source {
        case column(Int)
        case expr(CompiledExpr)
        case none
    }
    private let keys: [Source]
    private let args: [Source]
    private let computedKeys: Bool
    private let computedArgs: Bool

    private final class Window {
        let end: Int64
        @exclusivity(unchecked) var groups: GroupTable
        let columns: [any GroupAccumulator]
        init(end: Int64, groups: GroupTable, columns: [any GroupAccumulator]) {
            self.end = end
            self.groups = groups
            self.columns = columns
        }
    }

    /// Open windows by end time; few are open at once, so a sorted array is enough.
    @exclusivity(unchecked) private var open: [Window] = []
    @exclusivity(unchecked) private var spare: [(GroupTable, [any GroupAccumulator])] = []
    @exclusivity(unchecked) private var watermark = Int64.min

    package init(_ spec: WindowAggregate, context: RuntimeContext) {
        switch spec.window {
        case .tumbling(let s, let o):
            size = s.ticks
            hop = s.ticks
            offset = o.ticks
        case .hopping(let s, let h, let o):
            size = s.ticks
            hop = h.ticks
            offset = o.ticks
        case .snapshot:
            size = 1
            hop = 1
            offset = 0
        case .sliding, .session:
            preconditionFailure("\(spec.window) windows have their own operators")
        }
        func source(_ e: BoundExpr?) -> Source {
            guard let e else { return .none }
            if case .column(let i) = e.kind { return .column(i) }
            return .expr(ExprCompiler.compile(e))
        }
        keys = spec.keys.map(source)
        calls = spec.aggregates
        args = spec.aggregates.map { source($0.input) }
        computedKeys = keys.contains { if case .expr = $0 { return true } else { return false } }
        computedArgs = args.contains { if case .expr = $0 { return true } else { return false } }
        self.context = context
    }

    /// Groups of every open window.
    package var heldRows: Int { open.reduce(0) { $0 + $1.groups.count } }


    private func window(ending end: Int64) -> Window {
        // Most rows land in the newest window; search from the back.
        var i = open.count
        while i > 0 {
            let w = open[i - 1]
            if w.end == end { return w }
            if w.end < end { break }
            i -= 1
        }
        let (groups, columns) = spare.popLast() ?? (GroupTable(width: keys.count), calls.map { $0.implementation.makeGroupStates($0) })
        let w = Window(end: end, groups: groups, columns: columns)
        open.insert(w, at: i)
        return w
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        let n = batch.count
        guard n > 0 else { return }
        let width = batch.width, keyCount = keys.count
        // Phase 1: computed keys and arguments, per row.
        var failed = [Bool](repeating: false, count: n)
        var keyValues: [Value] = computedKeys ? Array(repeating: .null, count: n * keyCount) : []
        var argValues: [[Value]] = args.map { if case .expr = $0 { return Array(repeating: .null, count: n) } else { return [] } }
        if computedKeys || computedArgs {
            batch.forEachRow { r, row in
                do throws(EvalError) {
                    for (k, key) in keys.enumerated() {
                        if case .expr(let f) = key { keyValues[r * keyCount + k] = try f(row) }
                    }
                    for (a, arg) in args.enumerated() {
                        if case .expr(let f) = arg { argValues[a][r] = try f(row) }
                    }
                } catch {
                    failed[r] = true
                    context.rowError(error, in: "GROUP BY")
                }
            }
        }
        batch.values.withUnsafeBufferPointer { input in
            // swiftlint:disable:next force_unwrapping
            let base = input.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Value>.alignment)!
            // Phase 2: assign rows to (window, group) slots. Group tables are taken out of their
            // windows for the batch and put back after.
            var touched: [Window] = []
            var tables: [GroupTable] = []
            var rowLists: [[Int32]] = []
            var slotLists: [[Int32]] = []
            var cur = -1
            // Each row's key is read in place: the addresses of its values in the row (or among the
            // computed keys), copied only when a group is new.
            let parts = UnsafeMutablePointer<UnsafePointer<Value>>.allocate(capacity: max(keyCount, 1))
            let null = UnsafeMutablePointer<Value>.allocate(capacity: 1)
            null.initialize(to: .null)
            defer {
                parts.deallocate()
                null.deinitialize(count: 1)
                null.deallocate()
            }
            let key = GatheredKey(parts: parts)
            let times = batch.times
            keyValues.withUnsafeBufferPointer { computed in
                for r in 0..<n where !failed[r] {
                    let row = base + r * width
                    for k in 0..<keyCount {
                        switch keys[k] {
                        case .column(let c): parts[k] = row + c
                        case .expr: parts[k] = computed.baseAddress.map { $0 + r * keyCount + k } ?? UnsafePointer(null)
                        case .none: parts[k] = UnsafePointer(null)
                        }
                    }
                    let hash = GroupTable.hash(key, width: keyCount)
                    let t = times[r]
                    // The first window end at or after t, then every later hop while the window still covers t.
                    var end = (t - offset).ceilDiv(hop) * hop + offset
                    while end - size < t {
                        if cur < 0 || touched[cur].end != end {
                            cur = touched.firstIndex { $0.end == end } ?? -1
                            if cur < 0 {
                                let w = window(ending: end)
                                touched.append(w)
                                tables.append(w.groups)
                                w.groups = GroupTable(width: 0, capacity: 0)
                                rowLists.append([])
                                slotLists.append([])
                                cur = touched.count - 1
                            }
                        }
                        let (slot, inserted) = tables[cur].slot(for: key, hash: hash)
                        if inserted { for c in touched[cur].columns { c.grow(to: slot + 1) } }
                        rowLists[cur].append(Int32(r))
                        slotLists[cur].append(Int32(slot))
                        end += hop
                    }
                }
            }
            // Phase 3: one loop per (window, aggregate).
            var errors: [EvalError] = []
            for (i, w) in touched.enumerated() {
                w.groups = tables[i]
                rowLists[i].withUnsafeBufferPointer { rows in
                    slotLists[i].withUnsafeBufferPointer { slots in
                        for (a, column) in w.columns.enumerated() {
                            switch args[a] {
                            case .column(let c):
                                column.addRows(rows, slots, base + c, stride: width, errors: &errors)
                            case .expr:
                                argValues[a].withUnsafeBufferPointer { values in
                                    // swiftlint:disable:next force_unwrapping
                                    column.addRows(rows, slots, values.baseAddress!, stride: 1, errors: &errors)
                                }
                            case .none:
                                column.addRows(rows, slots, base, stride: 0, errors: &errors)
                            }
                        }
                    }
                }
            }
            for (i, e) in errors.enumerated() where i < 100 { context.rowError(e, in: "aggregate") }
            if errors.count > 100 { context.counters.evaluationErrors += errors.count - 100 }
        }
    }

    /// Emits and recycles every window whose end is below `time`.
    func emit(before time: Int64) throws {
        watermark = max(watermark, time)
        while let first = open.first, first.end < time {
            open.removeFirst()
            let keyCount = keys.count
            var out = EventBatch(width: keyCount + calls.count, capacity: first.groups.count)
            for slot in 0..<first.groups.count {
                out.values.appendCopies(of: first.groups.keys[(slot * keyCount)..<((slot + 1) * keyCount)])
                for c in first.columns { out.values.append(Self.result(of: c, slot, context)) }
                out.times.append(first.end)
            }
            var groups = first.groups
            first.groups = GroupTable(width: 0, capacity: 0)  // leaves `groups` uniquely referenced
            groups.removeAll()
            for c in first.columns { c.reset() }
            spare.append((groups, first.columns))
            try downstream.emit(out)
        }
    }
}

extension WindowAggregateOperator {
    package static var stateVersion: Int { 2 }
    package static var summarizesEvents: Bool { true }

    package func saveState(into w: inout StateWriter) {
        w.write(watermark)
        w.write(open.count)
        for window in open {
            w.write(window.end)
            window.groups.save(into: &w)
            for c in window.columns {
                for slot in 0..<window.groups.count { c.save(slot, into: &w) }
            }
        }
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        watermark = try r.readTime()
        open = []
        for _ in 0..<(try r.readCount(elementSize: 16)) {
            // Open windows end on the job's hop grid, in ascending order.
            let end = try r.readInt64()
            guard end.magnitude < 1 << 62, (end - offset).floorMod(hop) == 0, end > (open.last?.end ?? .min) else {
                throw StateError("an open window's end \(end) is not on the job's window grid")
            }
            let groups = try GroupTable.restore(from: &r, width: keys.count)
            let columns = calls.map { $0.implementation.makeGroupStates($0) }
            for c in columns {
                c.grow(to: groups.count)
                for slot in 0..<groups.count { try c.restore(slot, from: &r) }
            }
            open.append(Window(end: end, groups: groups, columns: columns))
        }
    }
}

extension Int64 {
    /// Division rounding toward positive infinity.
    @inline(__always)
    func ceilDiv(_ d: Int64) -> Int64 { -((-self).floorDiv(d)) }
}
