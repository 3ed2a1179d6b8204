import Planner

/// Keeps the rows whose predicate is true (not false, not unknown).
package final class FilterOperator: StatelessOperator {
    package var name: String { "Filter" }
    package let downstream = Downstream()
    private let predicate: CompiledPredicate
    private let context: RuntimeContext

    package init(predicate: BoundExpr, context: RuntimeContext) {
        self.predicate = ExprCompiler.compilePredicate(predicate)
        self.context = context
    }

    package func process(_ batch: EventBatch, port: Int) throws {
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

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}
