import Planner

/// Keeps the rows whose predicate is true (not false, not unknown).
public final class FilterOperator: StatelessOperator {
    public let downstream = Downstream()
    private let predicate: CompiledPredicate
    private let context: RuntimeContext

    public init(predicate: BoundExpr, context: RuntimeContext) {
        self.predicate = ExprCompiler.compilePredicate(predicate)
        self.context = context
    }

    public func process(_ batch: EventBatch, port: Int) throws {
        var keep: [Int] = []
        keep.reserveCapacity(batch.count)
        batch.forEachRow { i, row in
            do throws(EvalError) {
                if try predicate(row) == true { keep.append(i) }
            } catch {
                context.rowError(error, in: "WHERE")
            }
        }
        if keep.count == batch.count { return try downstream.emit(batch) }
        var out = EventBatch(width: batch.width, capacity: keep.count)
        for i in keep { out.append(batch.row(i), time: batch.times[i]) }
        try downstream.emit(out)
    }

    public func watermark(_ time: Int64, port: Int) throws { try downstream.watermark(time) }
    public func finish(port: Int) throws { try downstream.finish() }
}

/// Computes one output column per projection item.
public final class ProjectOperator: StatelessOperator {
    public let downstream = Downstream()
    private let items: [CompiledExpr]
    /// Items that just copy an input column, computed without a closure call.
    private let copies: [Int?]
    private let context: RuntimeContext

    public init(items: [ProjectItem], context: RuntimeContext) {
        self.items = items.map { ExprCompiler.compile($0.expr) }
        copies = items.map { if case .column(let i) = $0.expr.kind { return i } else { return nil } }
        self.context = context
    }

    public func process(_ batch: EventBatch, port: Int) throws {
        let width = items.count
        var out = EventBatch(width: width, capacity: batch.count)
        var row = [Value](repeating: .null, count: width)
        batch.forEachRow { _, input in
            do throws(EvalError) {
                for k in 0..<width {
                    if let c = copies[k] { row[k] = input[c] } else { row[k] = try items[k](input) }
                }
                out.append(row, time: input.time)
            } catch {
                context.rowError(error, in: "SELECT")
            }
        }
        try downstream.emit(out)
    }

    public func watermark(_ time: Int64, port: Int) throws { try downstream.watermark(time) }
    public func finish(port: Int) throws { try downstream.finish() }
}

/// Merges several inputs; its watermark is the minimum of theirs.
public final class UnionOperator: PortClockOperator {
    public let downstream = Downstream()
    private var clock: PortClock
    var portClock: PortClock {
        get { clock }
        set { clock = newValue }
    }

    public init(ports: Int) { clock = PortClock(ports: ports) }

    public func process(_ batch: EventBatch, port: Int) throws { try downstream.emit(batch) }
    public func watermark(_ time: Int64, port: Int) throws { try downstream.watermark(clock.advance(port, to: time)) }
    public func finish(port: Int) throws {
        if clock.end(port) { try downstream.finish() } else { try downstream.watermark(clock.combined) }
    }
}
