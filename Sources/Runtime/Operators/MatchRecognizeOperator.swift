import DequeModule
import Planner

/// Runs MATCH_RECOGNIZE: per partition, each event advances the partial matches (threads of the
/// pattern's NFA, each with the events it bound to variables) and may start a new one.
///
/// Semantics (ASA documents ONE ROW PER MATCH and AFTER MATCH SKIP TO NEXT ROW, not the rest):
/// * A match is reported at the event that completes it, as soon as the pattern accepts (a
///   trailing `A+` does not wait for more A's). The row is timestamped at that event.
/// * When several partial matches complete at one event, the one that started earliest is
///   reported; the others (they end at the same event) are dropped, as are all partial matches
///   that started at or before the reported one. The next match may start at the event after the
///   reported match's first (SKIP TO NEXT ROW), so matches can overlap.
/// * A match's last event comes less than LIMIT DURATION after its first (as analytic functions'
///   LIMIT DURATION histories hold the events newer than `t - duration`).
/// * Among ways to match the same events, quantifiers prefer more events and alternatives the
///   earlier branch.
///
/// Events are taken in arrival order at this operator, which is event-time order for rows read
/// from an input (as for analytic functions).
package final class MatchRecognizeOperator: Operator {
    package var name: String { "MatchRecognize" }
    package let downstream = Downstream()
    private let program: [RowPatternProgram.Instruction]
    private let start: Int
    private let partitionBy: [CompiledExpr]
    private let definitions: [CompiledPredicate?]
    /// Conditions that read other variables' events, per variable: checked per partial match.
    private let conditions: [(slots: [Slot], predicate: CompiledPredicate)?]
    private let slots: [Slot]
    private let measures: [CompiledExpr]
    private let duration: Int64
    private let inputWidth: Int
    private let variableNames: [String]
    private let variableCount: Int
    private let context: RuntimeContext
    @exclusivity(unchecked) private var partitions: GroupTable
    @exclusivity(unchecked) private var states: [PartitionState] = []
    @exclusivity(unchecked) private var key: [Value]
    /// Whether the current event satisfies each variable's condition.
    @exclusivity(unchecked) private var qualifies: [Bool]
    /// The consume instructions reachable from each instruction without consuming, and whether the
    /// pattern accepts there (precomputed epsilon closures).
    /// Flattened: instruction `pc` reaches `closureTargets[closureRange[pc]]` and accepts when
    /// `closureAccepts[pc]` (no per-event array retains in the hot loop).
    private let closureTargets: [Int]
    private let closureRange: [Range<Int>]
    private let closureAccepts: [Bool]

    /// One measure slot, compiled.
    struct Slot {
        enum Pick { case first, last, aggregate(AggregateCall), current, classifier }
        let pick: Pick
        let variable: Int?
        let value: CompiledExpr
    }

    /// A partial match: the consume instruction it waits at and the events it bound so far.
    struct Thread {
        var pc: Int
        var start: Int64
        var startTime: Int64
        var bindings: [Binding]
    }

    /// Consecutive events of the partition (by sequence number) bound to one variable (-1: `.`):
    /// a run like `.*` costs one binding, however long.
    struct Binding {
        var variable: Int32
        var first: Int64
        var last: Int64
    }

    /// One partition's partial matches and the events they may bind: each event is kept once, from
    /// the oldest partial match's first event on (so `.*` patterns cost bindings, not row copies).
    final class PartitionState {
        var threads: [Thread] = []
        var sequence: Int64 = 0
        var events = Deque<(time: Int64, row: [Value])>()
        /// The sequence number of `events.first`.
        var firstSequence: Int64 = 0

        func event(_ sequence: Int64) -> (time: Int64, row: [Value]) { events[Int(sequence - firstSequence)] }

        /// Drops events no partial match can bind any more.
        func trim() {
            // Partial matches are kept in the order they started.
            let oldest = threads.first?.start ?? sequence
            while firstSequence < oldest, !events.isEmpty {
                events.removeFirst()
                firstSequence += 1
            }
            if events.isEmpty { firstSequence = sequence }
        }
    }

    /// `inputWidth` is the width of the input rows (the events it keeps).
    package init(_ m: MatchRecognize, inputWidth: Int, context: RuntimeContext) {
        self.inputWidth = inputWidth
        variableNames = m.variables
        variableCount = m.variables.count
        program = m.pattern.instructions
        start = m.pattern.start
        partitionBy = m.partitionBy.map(ExprCompiler.compile)
        definitions = m.definitions.map { $0.map(ExprCompiler.compilePredicate) }
        slots = m.slots.map(Self.compile)
        conditions = m.matchConditions.map { $0.map { (slots: $0.slots.map(Self.compile), predicate: ExprCompiler.compilePredicate($0.condition)) } }
        measures = m.measures.map { ExprCompiler.compile($0.expr) }
        duration = m.duration?.ticks ?? .max
        self.context = context
        partitions = GroupTable(width: m.partitionBy.count)
        key = Array(repeating: .null, count: max(m.partitionBy.count, 1))
        qualifies = Array(repeating: true, count: m.variables.count)
        let closures = m.pattern.instructions.indices.map { Self.closure(of: $0, in: m.pattern.instructions) }
        var targets: [Int] = [], ranges: [Range<Int>] = []
        for c in closures {
            ranges.append(targets.count..<(targets.count + c.consumes.count))
            targets += c.consumes
        }
        closureTargets = targets
        closureRange = ranges
        closureAccepts = closures.map(\.accepts)
    }

    private static func compile(_ s: MatchSlot) -> Slot {
        switch s.pick {
        case .first: return Slot(pick: .first, variable: s.variable, value: ExprCompiler.compile(s.value ?? .literal(.null)))
        case .last: return Slot(pick: .last, variable: s.variable, value: ExprCompiler.compile(s.value ?? .literal(.null)))
        case .current: return Slot(pick: .current, variable: nil, value: ExprCompiler.compile(s.value ?? .literal(.null)))
        case .classifier: return Slot(pick: .classifier, variable: nil, value: ExprCompiler.compile(.literal(.null)))
        case .aggregate(let a):
            // COUNT(*) has no argument: each event counts as a non-NULL value.
            return Slot(pick: .aggregate(a), variable: s.variable, value: ExprCompiler.compile(a.input ?? .literal(.bigint(1))))
        }
    }

    /// The consume instructions reachable from `pc` through splits and jumps, in priority order.
    private static func closure(of pc: Int, in code: [RowPatternProgram.Instruction]) -> (consumes: [Int], accepts: Bool) {
        var consumes: [Int] = [], accepts = false, seen = Set<Int>()
        func visit(_ i: Int) {
            guard i >= 0, i < code.count, seen.insert(i).inserted else { return }
            switch code[i] {
            case .consume: consumes.append(i)
            case .split(let a, let b): visit(a); visit(b)
            case .jump(let t): visit(t)
            case .accept: accepts = true
            }
        }
        visit(pc)
        return (consumes, accepts)
    }

    package var heldRows: Int { states.reduce(0) { $0 + $1.events.count } }

    package func process(_ batch: EventBatch, port: Int) throws {
        var out = EventBatch(width: measures.count)
        batch.forEachRow { _, row in
            do throws(EvalError) {
                try step(row, width: batch.width, into: &out)
            } catch {
                context.rowError(error, in: "MATCH_RECOGNIZE")
            }
        }
        try downstream.emit(out)
    }

    private func partition(for row: RowRef) throws(EvalError) -> PartitionState {
        for k in partitionBy.indices { key[k] = try partitionBy[k](row) }
        let (slot, inserted) = partitions.slot(for: key)
        if inserted { states.append(PartitionState()) }
        return states[slot]
    }

    /// Advances `row`'s partition by one event; appends a row of measures when a match completes.
    private func step(_ row: RowRef, width: Int, into out: inout EventBatch) throws(EvalError) {
        let state = try partition(for: row)
        let t = row.time
        for (v, d) in definitions.enumerated() { if let d { qualifies[v] = try d(row) == true } }
        let seq = state.sequence
        state.sequence += 1
        let limit = duration == .max ? Int64.min : t &- duration
        if state.threads.contains(where: { $0.startTime <= limit }) { state.threads.removeAll { $0.startTime <= limit } }
        // A new partial match starts here only where the event can be its first.
        for pc in closureTargets[closureRange[start]] where accepts(pc) {
            let thread = Thread(pc: pc, start: seq, startTime: t, bindings: [])
            if try qualifiesInContext(thread, row, state) { state.threads.append(thread) }
        }
        guard !state.threads.isEmpty else {
            state.trim()
            return
        }
        if state.events.isEmpty { state.firstSequence = seq }
        state.events.append((t, Array(UnsafeBufferPointer(start: row.values, count: width))))
        var next: [Thread] = []
        next.reserveCapacity(state.threads.count)
        // Partial matches waiting at one instruction with one start are one: the first kept wins.
        var waiting = Set<ThreadKey>()
        var completed: Thread?
        var completedStarts: [Int64] = []
        var threads = state.threads
        state.threads = []
        for i in threads.indices {
            guard case .consume(let variable, let target) = program[threads[i].pc], accepts(threads[i].pc),
                  try qualifiesInContext(threads[i], row, state) else { continue }
            // Moved out, so its bindings are extended in place rather than copied.
            var advanced = threads[i]
            threads[i].bindings = []
            let v = Int32(variable ?? -1)
            if let end = advanced.bindings.last, end.variable == v, end.last == seq - 1 {
                advanced.bindings[advanced.bindings.count - 1].last = seq
            } else {
                advanced.bindings.append(Binding(variable: v, first: seq, last: seq))
            }
            if closureAccepts[target] {
                completedStarts.append(advanced.start)
                if completed == nil { completed = advanced }
            }
            for pc in closureTargets[closureRange[target]] {
                let key = ThreadKey(pc: pc, start: advanced.start)
                // Few partial matches are usually alive: a linear search beats hashing until many are.
                if next.count < 16 {
                    if next.contains(where: { $0.pc == pc && $0.start == advanced.start }) { continue }
                } else {
                    if waiting.isEmpty { for t in next { waiting.insert(ThreadKey(pc: t.pc, start: t.start)) } }
                    guard waiting.insert(key).inserted else { continue }
                }
                advanced.pc = pc
                next.append(advanced)
            }
        }
        if let match = completed {
            next.removeAll { $0.start <= match.start || completedStarts.contains($0.start) }
            try emit(match, in: state, time: t, into: &out)
        }
        state.threads = next
        state.trim()
    }

    /// Whether the current event satisfies the consume instruction at `pc` (its variable's condition).
    @inline(__always)
    private func accepts(_ pc: Int) -> Bool {
        guard case .consume(let variable, _) = program[pc], let v = variable else { return true }
        return qualifies[v]
    }

    /// Whether the candidate event satisfies the condition of the variable `thread` waits for, where
    /// that condition reads what the partial match bound so far (true when it has none).
    private func qualifiesInContext(_ thread: Thread, _ row: RowRef, _ state: PartitionState) throws(EvalError) -> Bool {
        guard case .consume(let variable?, _) = program[thread.pc], let c = conditions[variable] else { return true }
        let values = try slotValues(c.slots, of: thread, in: state, current: row)
        return try values.withUnsafeBufferPointer { (buf) throws(EvalError) -> Bool in
            guard let base = buf.baseAddress else { return try c.predicate(row) == true }
            return try c.predicate(RowRef(values: base, time: row.time)) == true
        }
    }

    /// Identifies a partial match among those waiting: one per instruction and start.
    struct ThreadKey: Hashable {
        let pc: Int
        let start: Int64
    }

    /// The values of `slots` over what `thread` bound (and the candidate event, for `current` slots).
    private func slotValues(_ slots: [Slot], of thread: Thread, in state: PartitionState, current: RowRef?) throws(EvalError) -> [Value] {
        var values = [Value](repeating: .null, count: slots.count)
        for (i, slot) in slots.enumerated() {
            if case .current = slot.pick {
                if let current { values[i] = try slot.value(current) }
                continue
            }
            if case .classifier = slot.pick {
                // Events matched by `.` belong to no variable.
                if let last = thread.bindings.last, last.variable >= 0 { values[i] = .string(variableNames[Int(last.variable)]) }
                continue
            }
            let events = thread.bindings.filter { slot.variable == nil || Int($0.variable) == slot.variable }
                .flatMap { ($0.first...$0.last).map(state.event) }
            switch slot.pick {
            case .first, .last:
                guard let e = slot.pick.isFirst ? events.first : events.last else { continue }
                values[i] = try evaluate(slot.value, on: e)
            case .aggregate(let call):
                let aggregator = call.implementation.makeWindowState(call)
                var inputs: [Value] = []
                for e in events {
                    let v = try evaluate(slot.value, on: e)
                    try aggregator.add(v)
                    inputs.append(v)
                }
                values[i] = try aggregator.result { inputs }
            case .current, .classifier:
                continue
            }
        }
        return values
    }

    private func emit(_ match: Thread, in state: PartitionState, time: Int64, into out: inout EventBatch) throws(EvalError) {
        let slotValues = try slotValues(slots, of: match, in: state, current: nil)
        var results = [Value](repeating: .null, count: measures.count)
        try slotValues.withUnsafeBufferPointer { (buf) throws(EvalError) in
            guard let base = buf.baseAddress else { return }
            let row = RowRef(values: base, time: time)
            for (i, m) in measures.enumerated() { results[i] = try m(row) }
        }
        out.append(results, time: time)
    }

    private func evaluate(_ f: CompiledExpr, on e: (time: Int64, row: [Value])) throws(EvalError) -> Value {
        try e.row.withUnsafeBufferPointer { (buf) throws(EvalError) -> Value in
            guard let base = buf.baseAddress else { return .null }
            return try f(RowRef(values: base, time: e.time))
        }
    }

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}

extension MatchRecognizeOperator.Slot.Pick {
    var isFirst: Bool { if case .first = self { return true } else { return false } }
}

extension MatchRecognizeOperator {
    package static var stateVersion: Int { 1 }
    package static var summarizesEvents: Bool { true }

    package func saveState(into w: inout StateWriter) {
        partitions.save(into: &w)
        for s in states {
            w.write(s.sequence)
            w.write(s.firstSequence)
            w.write(s.events.map(\.time))
            for e in s.events { w.write(e.row) }
            w.write(s.threads.count)
            for t in s.threads {
                w.write(t.pc)
                w.write(t.start)
                w.write(t.startTime)
                w.write(t.bindings.map { Int64($0.variable) })
                w.write(t.bindings.map(\.first))
                w.write(t.bindings.map(\.last))
            }
        }
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        partitions = try GroupTable.restore(from: &r, width: partitionBy.count)
        states = []
        let wrongShape = StateError("a partial match of MATCH_RECOGNIZE does not fit its pattern or events")
        for _ in 0..<partitions.count {
            let s = PartitionState()
            s.sequence = try r.readInt64()
            s.firstSequence = try r.readInt64()
            for time in try r.readEventTimes() {
                let row = try r.readValues()
                guard row.count == inputWidth else { throw StateError("a kept event has \(row.count) columns, the input has \(inputWidth)") }
                s.events.append((time, row))
            }
            guard s.firstSequence >= 0, s.sequence >= s.firstSequence, s.sequence < 1 << 62,
                  Int64(s.events.count) <= s.sequence - s.firstSequence else { throw wrongShape }
            let end = s.firstSequence + Int64(s.events.count)
            for _ in 0..<(try r.readCount(elementSize: 48)) {
                let pc = try r.readInt(), start = try r.readInt64(), startTime = try r.readEventTime()
                let variables = try r.readInt64s(), firsts = try r.readInt64s(), lasts = try r.readInt64s()
                guard program.indices.contains(pc), start >= s.firstSequence, start <= s.sequence, start >= (s.threads.last?.start ?? 0),
                      variables.count == firsts.count, firsts.count == lasts.count,
                      variables.allSatisfy({ $0 >= -1 && $0 < variableCount }),
                      zip(firsts, lasts).allSatisfy({ $0 >= s.firstSequence && $0 <= $1 && $1 < end }) else { throw wrongShape }
                s.threads.append(Thread(pc: pc, start: start, startTime: startTime, bindings: variables.indices.map {
                    Binding(variable: Int32(variables[$0]), first: firsts[$0], last: lasts[$0])
                }))
            }
            states.append(s)
        }
    }
}
