import Planner

/// Joins a stream (its only port) with a reference table. Each stream row meets the table as it is
/// when the row arrives; it is matched by equality key through a hash index (or, without keys, by
/// scanning the table), then the rest of the ON condition is checked. Rows keep their time, and
/// watermarks pass through: reference data never holds time back (nor advances it).
package final class ReferenceJoinOperator: StatelessOperator {
    package var name: String { "ReferenceJoin" }
    package let downstream = Downstream()
    private let operation: JoinOperation
    private let leftKeys: [CompiledExpr], rightKeys: [CompiledExpr]
    private let residual: CompiledPredicate?
    private let context: RuntimeContext
    private let data: ReferenceData
    private let leftWidth: Int, rightWidth: Int

    /// The table version the index was built from.
    @exclusivity(unchecked) private var version = -1
    @exclusivity(unchecked) private var table = EventBatch(width: 0)
    @exclusivity(unchecked) private var index: KeyIndex
    /// The next table row with the same key; -1 ends the chain.
    @exclusivity(unchecked) private var links: [Int] = []
    @exclusivity(unchecked) private var scratch: [Value]
    @exclusivity(unchecked) private var key: [Value]

    package init(_ operation: JoinOperation, data: ReferenceData, leftWidth: Int, context: RuntimeContext) {
        self.operation = operation
        leftKeys = operation.leftKeys.map(ExprCompiler.compile)
        rightKeys = operation.rightKeys.map(ExprCompiler.compile)
        residual = operation.residual.map(ExprCompiler.compilePredicate)
        self.context = context
        self.data = data
        self.leftWidth = leftWidth
        rightWidth = data.width
        scratch = Array(repeating: .null, count: leftWidth + data.width)
        index = KeyIndex(width: operation.leftKeys.count)
        key = Array(repeating: .null, count: max(1, operation.leftKeys.count))
    }


    /// Rebuilds the index when the reference data changed since the last batch.
    private func sync() {
        data.refreshIfDue()
        guard data.version != version else { return }
        version = data.version
        table = data.rows
        index = KeyIndex(width: rightKeys.count)
        links = Array(repeating: -1, count: table.count)
        table.forEachRow { i, row in
            do throws(EvalError) {
                guard try KeyIndex.evaluate(rightKeys, row, into: &key) else { return }
            } catch {
                context.rowError(error, in: "reference JOIN key")
                return
            }
            key.withUnsafeBufferPointer { k in
                guard let base = k.baseAddress else { return }
                let hash = index.hash(base)
                if let e = index.find(base, hash: hash) { links[index.append(e, row: i)] = i } else {
                    _ = index.insert(base, hash: hash, row: i)
                }
            }
        }
    }

    package func process(_ batch: EventBatch, port: Int) throws {
        sync()
        var out = EventBatch(width: leftWidth + rightWidth, capacity: batch.count)
        batch.forEachRow { i, row in
            let hasKey: Bool
            do throws(EvalError) { hasKey = try KeyIndex.evaluate(leftKeys, row, into: &key) } catch {
                context.rowError(error, in: "JOIN key")
                return
            }
            scratch.replaceSubrange(0..<leftWidth, with: batch.row(i))
            var matched = false
            if hasKey {
                var r = key.withUnsafeBufferPointer { k in
                    k.baseAddress.flatMap { base in index.find(base, hash: index.hash(base)).map { index.heads[$0] } } ?? -1
                }
                while r >= 0 {
                    if join(r, time: row.time, into: &out) { matched = true }
                    r = links[r]
                }
            }
            if !matched && operation.kind == .left {
                for k in leftWidth..<(leftWidth + rightWidth) { scratch[k] = .null }
                out.append(scratch, time: row.time)
            }
        }
        try downstream.emit(out)
    }

    /// Appends the joined row of `scratch`'s left row and table row `r` if it passes the condition.
    private func join(_ r: Int, time: Int64, into out: inout EventBatch) -> Bool {
        scratch.replaceSubrange(leftWidth..<(leftWidth + rightWidth), with: table.row(r))
        guard joinConditionHolds(residual, on: scratch, time: time, context: context) else { return false }
        out.append(scratch, time: time)
        return true
    }

    package func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(w) }
    package func finish(port: Int) throws { try downstream.finish() }
}
