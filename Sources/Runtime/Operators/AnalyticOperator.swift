import DequeModule
import Planner

/// Computes analytic functions (LAG, LAST, ISFIRST, aggregates with OVER, anomaly detection) per
/// event, appending one column per call. Each call keeps, per partition, only the history it can
/// still need: the last `offset` matching events for LAG, the latest for LAST, the interval seen last
/// for ISFIRST, the events within LIMIT DURATION for aggregates, and a detector (the last
/// `historySize` values) for anomaly detection. History covers `(t - duration, t]`.
///
/// Events are taken in arrival order at this operator, which is event-time order for rows read
/// from an input (ASA breaks ties by arrival order too).
package final class AnalyticOperator: Operator {
    package var name: String { "Analytic" }
    package let downstream = Downstream()
    private let calls: [CallState]
    private let context: RuntimeContext

    /// One call's compiled expressions and per-partition state.
    final class CallState {
        let function: AnalyticFunction
        let argument: CompiledExpr?
        let defaultValue: CompiledExpr?
        let partitionBy: [CompiledExpr]
        let when: CompiledPredicate?
        let duration: Int64
        @exclusivity(unchecked) var partitions: GroupTable
        @exclusivity(unchecked) var histories: [History] = []
        @exclusivity(unchecked) var key: [Value]

        init(_ call: AnalyticCall) {
            function = call.function
            if case .aggregate(let a) = call.function {
                // COUNT(*) has no argument: each event counts as a non-NULL value.
                argument = ExprCompiler.compile(a.input ?? .literal(.bigint(1)))
            } else {
                argument = call.argument.map(ExprCompiler.compile)
            }
            defaultValue = call.defaultValue.map(ExprCompiler.compile)
            partitionBy = call.partitionBy.map(ExprCompiler.compile)
            when = call.when.map(ExprCompiler.compilePredicate)
            duration = call.duration?.ticks ?? .max
            partitions = GroupTable(width: call.partitionBy.count)
            key = Array(repeating: .null, count: max(call.partitionBy.count, 1))
        }

        func history(for row: RowRef) throws(EvalError) -> History {
            for k in partitionBy.indices { key[k] = try partitionBy[k](row) }
            let (slot, inserted) = partitions.slot(for: key)
            if inserted { histories.append(makeHistory()) }
            return histories[slot]
        }

        /// A new partition's empty history.
        func makeHistory() -> History {
            let h = History()
            switch function {
            case .aggregate(let a): h.aggregator = a.implementation.makeWindowState(a)
            case .spikeAndDip(let confidence, let size, let mode):
                h.detector = IIDAnomalyDetector(kind: .spikeAndDip(mode), confidence: confidence, historySize: size)
            case .changePoint(let confidence, let size):
                h.detector = IIDAnomalyDetector(kind: .changePoint, confidence: confidence, historySize: size)
            case .lag, .last, .isFirst: break
            }
            return h
        }
    }

    /// One partition's history for one call.
    final class History {
        @exclusivity(unchecked) var entries = Deque<(time: Int64, value: Value)>()
        @exclusivity(unchecked) var lastInterval = Int64.min
        @exclusivity(unchecked) var aggregator: (any WindowAccumulator)?
        @exclusivity(unchecked) var detector: IIDAnomalyDetector?

        /// Drops entries at or before `limit` (they left the LIMIT DURATION window).
        func evict(upTo limit: Int64) {
            while let first = entries.first, first.time <= limit {
                entries.removeFirst()
                aggregator?.removeOldest(first.value)
            }
        }
    }

    package init(calls: [AnalyticCall], context: RuntimeContext) {
        self.calls = calls.map(CallState.init)
        self.context = context
    }

    /// History entries kept for every call and partition.
    package var heldRows: Int { calls.reduce(0) { $0 + $1.histories.reduce(0) { $0 + $1.entries.count } } }


    package func process(_ batch: EventBatch, port: Int) throws {
        let width = batch.width + calls.count
        var out = EventBatch(width: width, capacity: batch.count)
        var results = [Value](repeating: .null, count: calls.count)
        batch.forEachRow { _, row in
            do throws(EvalError) {
                for (i, call) in calls.enumerated() { results[i] = try evaluate(call, row) }
            } catch {
                context.rowError(error, in: "analytic function")
                return
            }
            out.values.appendCopies(of: UnsafeBufferPointer(start: row.values, count: batch.width))
            out.values.appendCopies(of: results)
            out.times.append(row.time)
        }
        try downstream.emit(out)
    }

    private func evaluate(_ call: CallState, _ row: RowRef) throws(EvalError) -> Value {
        let t = row.time
        let h = try call.history(for: row)
        let matches = try call.when?(row) ?? true
        let limit = call.duration == .max ? Int64.min : t &- call.duration
        switch call.function {
        case .lag(let offset):
            h.evict(upTo: limit)
            let result: Value
            if h.entries.count >= offset { result = h.entries[h.entries.count - offset].value } else {
                result = try call.defaultValue?(row) ?? .null
            }
            if matches {
                h.entries.append((t, try call.argument?(row) ?? .null))
                if h.entries.count > offset { h.entries.removeFirst() }
            }
            return result
        case .last:
            if matches {
                let v = try call.argument?(row) ?? .null
                h.entries = [(t, v)]
                return v
            }
            h.evict(upTo: limit)
            if let latest = h.entries.last { return latest.value }
            return try call.defaultValue?(row) ?? .null
        case .isFirst(let interval):
            guard matches else { return .bigint(0) }
            let end = t.ceilDiv(interval.ticks) * interval.ticks
            defer { h.lastInterval = end }
            return .bigint(end != h.lastInterval ? 1 : 0)
        case .aggregate:
            h.evict(upTo: limit)
            if matches {
                let v = try call.argument?(row) ?? .null
                try h.aggregator?.add(v)
                h.entries.append((t, v))
            }
            return try h.aggregator?.result { h.entries.map(\.value) } ?? .null
        case .spikeAndDip, .changePoint:
            // Rows that fail WHEN get NULL and leave the model untouched; so do NULL (or NaN) values,
            // which score as {IsAnomaly: 0, Score: NULL}. History is the last historySize values:
            // LIMIT DURATION does not evict (see Grammar.md).
            guard matches else { return .null }
            guard let x = try Conversions.double(try call.argument?(row) ?? .null), !x.isNaN else {
                return Self.anomalyRecord(score: .null, isAnomaly: false)
            }
            guard let (score, alert) = h.detector?.update(x) else { return .null }
            return Self.anomalyRecord(score: .float(score), isAnomaly: alert)
        }
    }

    static func anomalyRecord(score: Value, isAnomaly: Bool) -> Value {
        .record(Record(names: ["IsAnomaly", "Score"], values: [.bigint(isAnomaly ? 1 : 0), score]))
    }

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}

extension AnalyticOperator {
    package static var stateVersion: Int { 2 }
    package static var summarizesEvents: Bool { true }

    package func saveState(into w: inout StateWriter) {
        w.write(calls.count)
        for call in calls {
            call.partitions.save(into: &w)
            for h in call.histories {
                w.write(h.entries.map(\.time))
                w.write(h.entries.map(\.value))
                w.write(h.lastInterval)
                h.aggregator?.save(into: &w)
                h.detector?.checkpoint(into: &w)
            }
        }
    }

    package func restoreState(from r: inout StateReader) throws(StateError) {
        try r.expect(calls.count, "the number of analytic calls")
        for call in calls {
            call.partitions = try GroupTable.restore(from: &r, width: call.partitionBy.count)
            call.histories = []
            for _ in 0..<call.partitions.count {
                let h = call.makeHistory()
                let times = try r.readEventTimes(), values = try r.readValues()
                guard times.count == values.count else { throw StateError("analytic history has a wrong shape") }
                h.entries = Deque(zip(times, values).map { ($0.0, $0.1) })
                h.lastInterval = try r.readInt64()
                guard h.lastInterval == .min || h.lastInterval.magnitude < 1 << 62 else { throw StateError("analytic history has a wrong shape") }
                try h.aggregator?.restore(from: &r)
                try h.detector?.restore(from: &r)
                call.histories.append(h)
            }
        }
    }
}
