import Planner

/// Computes one output column per projection item.
package final class ProjectOperator: StatelessOperator {
    package var name: String { "Project" }
    package let downstream = Downstream()
    private let items: [CompiledExpr]
    /// Items that just copy an input column, computed without a closure call.
    private let copies: [Int?]
    private let context: RuntimeContext

    package init(items: [ProjectItem], context: RuntimeContext) {
        self.items = items.map { ExprCompiler.compile($0.expr) }
        copies = items.map { if case .column(let i) = $0.expr.kind { return i } else { return nil } }
        self.context = context
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        let width = items.count
        var out = EventBatch(width: width, capacity: batch.count)
        batch.forEachRow { _, input in
            // Values go straight into the output; a row that fails part-way is taken back out.
            let mark = out.values.count
            do throws(EvalError) {
                for k in 0..<width {
                    if let c = copies[k] { out.values.append(input[c]) } else { out.values.append(try items[k](input)) }
                }
                out.times.append(input.time)
            } catch {
                out.values.removeLast(out.values.count - mark)
                context.rowError(error, in: "SELECT")
            }
        }
        try downstream.emit(out)
    }

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}
