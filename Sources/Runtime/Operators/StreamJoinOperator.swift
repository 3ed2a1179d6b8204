import HeapModule
import Planner

/// A time-bounded join of two streams (port 0 = left, port 1 = right).
///
/// Each side keeps its rows while a row of the other side could still match them: a left row at
/// bound time `t` until the right watermark reaches `t + maxAhead`; a right row at `r` until no
/// future left row can reach back to it. A probe finds candidates by equality key, checks the
/// DATEDIFF bound on the two rows' times, then the rest of the ON condition.
///
/// Output follows ASA: a match is timestamped with the later of its two rows' times; an unmatched
/// LEFT row with its time plus the bound's upper end ("the latest time a match could have come").
/// Rows are held and released in time order once both watermarks pass them, so downstream sees
/// ordered rows and a watermark of `min(left, right, pending unmatched rows)`.
package final class StreamJoinOperator: Operator {
    package var name: String { "StreamJoin" }
    package let downstream = Downstream()
    private let operation: JoinOperation
    private let bound: JoinTimeBound
    private let leftKeys: [CompiledExpr], rightKeys: [CompiledExpr]
    private let residual: CompiledPredicate?
    private let context: RuntimeContext
    private let rightWidth: Int

    @exclusivity(unchecked) private var left: JoinBuffer
    @exclusivity(unchecked) private var right: JoinBuffer
    @exclusivity(unchecked) private var ended = (left: false, right: false)
    @exclusivity(unchecked) private var leftMark = Int64.min, rightMark = Int64.min
    /// LEFT JOIN rows not matched yet, by the time after which no match can come.
    @exclusivity(unchecked) private var pending = Heap<PendingRow>()
    /// Joined rows waiting for the watermark, in production order.
    @exclusivity(unchecked) private var held: EventBatch
    @exclusivity(unchecked) private var heldSorted = true
    /// The joined row being built: left columns, then right columns.
    @exclusivity(unchecked) private var scratch: [Value]
    /// The current row's join key.
    @exclusivity(unchecked) private var key: [Value]

    struct PendingRow: Comparable {
        var deadline: Int64
        var sequence: Int
        static func < (a: PendingRow, b: PendingRow) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
    }

    package init(_ operation: JoinOperation, leftWidth: Int, rightWidth: Int, context: RuntimeContext) {
        precondition(operation.time != nil, "a stream join needs a time bound")
        self.operation = operation
        bound = operation.time ?? JoinTimeBound(unit: .second, low: 0, high: 0, leftTimeColumn: 0, rightTimeColumn: 0, leftSlack: .zero)
        leftKeys = operation.leftKeys.map(ExprCompiler.compile)
        rightKeys = operation.rightKeys.map(ExprCompiler.compile)
        residual = operation.residual.map(ExprCompiler.compilePredicate)
        self.context = context
        self.rightWidth = rightWidth
        left = JoinBuffer(width: leftWidth, keyWidth: operation.leftKeys.count)
        right = JoinBuffer(width: rightWidth, keyWidth: operation.rightKeys.count)
        // Never empty, so it always has an address (a join without equality keys has width 0).
        key = Array(repeating: .null, count: max(1, operation.leftKeys.count))
        held = EventBatch(width: leftWidth + rightWidth)
        scratch = Array(repeating: .null, count: leftWidth + rightWidth)
    }

    package var heldRows: Int { left.count + right.count + held.count }

    package func process(_ batch: EventBatch, port: Int) throws {
        let isLeft = port == 0
        let keys = isLeft ? leftKeys : rightKeys
        let timeColumn = isLeft ? bound.leftTimeColumn : bound.rightTimeColumn
        batch.forEachRow { i, row in
            let hasKey: Bool
            do throws(EvalError) {
                hasKey = try KeyIndex.evaluate(keys, row, into: &key)
            } catch {
                context.rowError(error, in: "JOIN")
                return
            }
            var boundTime = row.time
            if case .datetime(let t) = row[timeColumn] { boundTime = t.ticks }
            key.withUnsafeBufferPointer { k in
                guard let base = k.baseAddress else { return }
                let keyPointer = hasKey ? base : nil
                let hash = hasKey ? GroupTable.hash(base, width: keys.count) : 0
                if isLeft {
                    var matched = false
                    if let keyPointer { matched = probe(leftRow: batch.row(i), time: row.time, boundTime: boundTime, key: keyPointer, hash: hash) }
                    let sequence = left.append(batch.row(i), time: row.time, boundTime: boundTime, key: keyPointer, hash: hash)
                    if operation.kind == .left {
                        if matched { left.matched[left.position(sequence)] = true } else {
                            pending.insert(PendingRow(deadline: boundTime.addingSaturating(bound.maxAhead), sequence: sequence))
                        }
                    }
                } else {
                    if let keyPointer { probe(rightRow: batch.row(i), time: row.time, boundTime: boundTime, key: keyPointer, hash: hash) }
                    right.append(batch.row(i), time: row.time, boundTime: boundTime, key: keyPointer, hash: hash)
                }
            }
        }
    }

    /// Joins a new left row with the right rows under its key; true if any matched.
    private func probe(leftRow: ArraySlice<Value>, time: Int64, boundTime: Int64, key: UnsafePointer<Value>, hash: UInt64) -> Bool {
        let lw = left.width
        var copied = false
        var matched = false
        for sequence in right.rows(withKey: key, hash: hash) {
            let p = right.position(sequence)
            guard bound.contains(left: boundTime, right: right.boundTimes[p]) else { continue }
            if !copied {
                scratch.assignCopies(of: leftRow, at: 0)
                copied = true
            }
            scratch.assignCopies(of: right.row(p), at: lw)
            if emitIfJoined(time: max(time, right.times[p])) { matched = true }
        }
        return matched
    }

    /// Joins a new right row with the left rows under its key.
    private func probe(rightRow: ArraySlice<Value>, time: Int64, boundTime: Int64, key: UnsafePointer<Value>, hash: UInt64) {
        let lw = left.width
        var copied = false
        for sequence in left.rows(withKey: key, hash: hash) {
            let p = left.position(sequence)
            guard bound.contains(left: left.boundTimes[p], right: boundTime) else { continue }
            if !copied {
                scratch.assignCopies(of: rightRow, at: lw)
                copied = true
            }
            scratch.assignCopies(of: left.row(p), at: 0)
            if emitIfJoined(time: max(time, left.times[p])) { left.matched[p] = true }
        }
    }

    /// Checks the ON condition on `scratch`; holds the joined row if it passes.
    private func emitIfJoined(time: Int64) -> Bool {
        guard joinConditionHolds(residual, on: scratch, time: time, context: context) else { return false }
        hold(scratch[...], time: time)
        return true
    }

    private func hold(_ row: ArraySlice<Value>, time: Int64) {
        if let last = held.times.last, time < last { heldSorted = false }
        held.append(row, time: time)
    }

    package func watermark(_ w: Watermark, port: Int) throws {
        let time = w.time
        if port == 0 { leftMark = max(leftMark, time) } else { rightMark = max(rightMark, time) }
        try advance()
    }

    package func finish(port: Int) throws {
        if port == 0 { ended.left = true; leftMark = .max } else { ended.right = true; rightMark = .max }
        try advance()
        if ended.left && ended.right { try downstream.finish() }
    }

    /// Emits what the watermarks settled and forgets rows that can no longer match.
    private func advance() throws {
        // Unmatched LEFT rows whose last chance has passed.
        while let top = pending.min, top.deadline <= rightMark {
            _ = pending.removeMin()
            let p = left.position(top.sequence)
            if left.matched[p] { continue }
            let lw = left.width
            scratch.assignCopies(of: left.row(p), at: 0)
            for k in lw..<(lw + rightWidth) { scratch[k] = .null }
            let latest = left.boundTimes[p].addingSaturating(bound.unmatchedDelay)
            hold(scratch[...], time: max(left.times[p], latest))
        }
        // (A LEFT row's pending entry has the same deadline, so it was handled above.)
        while !left.isEmpty, left.frontBoundTime.addingSaturating(bound.maxAhead) <= rightMark { left.evictFront() }
        // A future left row's bound time is at least its watermark less the chain's slack.
        let reach = leftMark == .max ? Int64.max
            : leftMark.addingSaturating(-bound.leftSlack.ticks).addingSaturating(bound.minBehind)
        while !right.isEmpty, right.frontBoundTime <= reach { right.evictFront() }

        var mark = min(leftMark, rightMark)
        if let top = pending.min { mark = min(mark, top.deadline.addingSaturating(-bound.unitTicks)) }
        try release(upTo: mark)
        try downstream.watermark(Watermark(mark))
    }

    /// Emits held rows with times up to `mark`, in time order (ties in production order).
    private func release(upTo mark: Int64) throws {
        guard !held.isEmpty else { return }
        if heldSorted {
            var n = 0
            while n < held.count && held.times[n] <= mark { n += 1 }
            if n == held.count {
                try downstream.emit(held)
                held.removeAll()
                return
            }
            guard n > 0 else { return }
            var out = EventBatch(width: held.width, capacity: n)
            out.values.appendCopies(of: held.values[0..<(n * held.width)])
            out.times.append(contentsOf: held.times[0..<n])
            held.values.removeFirst(n * held.width)
            held.times.removeFirst(n)
            try downstream.emit(out)
            return
        }
        let order = held.times.indices.sorted { (held.times[$0], $0) < (held.times[$1], $1) }
        var out = EventBatch(width: held.width), rest = EventBatch(width: held.width)
        for i in order {
            if held.times[i] <= mark { out.append(held.row(i), time: held.times[i]) } else { rest.append(held.row(i), time: held.times[i]) }
        }
        held = rest
        heldSorted = true
        try downstream.emit(out)
    }
}

extension StreamJoinOperator {
    package static var stateVersion: Int { 1 }
    package static var summarizesEvents: Bool { true }

    package func saveState(into w: inout StateWriter) {
        left.save(into: &w)
        right.save(into: &w)
        w.write(ended.left)
        w.write(ended.right)
        w.write([leftMark, rightMark])
        let rows = pending.unordered
        w.write(rows.map(\.deadline))
        w.write(rows.map { Int64($0.sequence) })
        w.write(held)
        w.write(heldSorted)
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        left = try JoinBuffer.restore(from: &r, width: left.width, keyWidth: leftKeys.count)
        right = try JoinBuffer.restore(from: &r, width: rightWidth, keyWidth: rightKeys.count)
        ended = (try r.readBool(), try r.readBool())
        let marks = try r.readTimes()
        guard marks.count == 2 else { throw StateError("join state has a wrong shape") }
        (leftMark, rightMark) = (marks[0], marks[1])
        let deadlines = try r.readTimes(), sequences = try r.readInt64s()
        // A pending LEFT row is a live left row.
        guard deadlines.count == sequences.count, sequences.allSatisfy({ left.contains(sequence: Int($0)) }) else {
            throw StateError("join state has a wrong shape")
        }
        pending = Heap(zip(deadlines, sequences).map { PendingRow(deadline: $0.0, sequence: Int($0.1)) })
        held = try r.readBatch(width: left.width + rightWidth)
        heldSorted = try r.readBool()
    }
}
