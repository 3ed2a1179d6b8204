import Planner

/// CROSS/OUTER APPLY: each row is repeated once per element of an array (`ArrayIndex`, 0-based, and
/// `ArrayValue`) or property of a record (`PropertyName`, `PropertyValue`), those two columns
/// appended. CROSS drops rows that yield nothing (a NULL, an empty or a mistyped value); OUTER keeps
/// them once, with two NULLs.
package final class ApplyOperator: StatelessOperator {
    package var name: String { "Apply" }
    package let downstream = Downstream()
    private let operation: ApplyOperation
    private let argument: CompiledExpr
    private let context: RuntimeContext

    package init(_ operation: ApplyOperation, context: RuntimeContext) {
        self.operation = operation
        argument = ExprCompiler.compile(operation.argument)
        self.context = context
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        var out = EventBatch(width: batch.width + 2, capacity: batch.count)
        batch.forEachRow { i, row in
            let value: Value
            do throws(EvalError) { value = try argument(row) } catch {
                context.rowError(error, in: "APPLY")
                return
            }
            var produced = false
            func emit(_ a: Value, _ b: Value) {
                out.values.appendCopies(of: batch.row(i))
                out.values.append(a)
                out.values.append(b)
                out.times.append(row.time)
                produced = true
            }
            switch (operation.function, value) {
            case (.arrayElements, .array(let elements)):
                for (k, v) in elements.enumerated() { emit(.bigint(Int64(k)), v) }
            case (.recordProperties, .record(let record)):
                for (name, v) in zip(record.names, record.values) { emit(.string(name), v) }
            default:
                break
            }
            if !produced && operation.outer { emit(.null, .null) }
        }
        try downstream.emit(out)
    }

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}
