import Planner

/// Joins a stream (its only port) with a reference table. Each stream row meets the table as it is
/// when the row arrives; it is matched by equality key through a hash index (or, without keys, by
/// scanning the table), then the rest of the ON condition is checked. Rows keep their time, and
/// watermarks pass through: reference data never holds time back (nor advances it).
public final class ReferenceJoinOperator: Operator {
    public let downstream = Downstream()
    private let operation: JoinOperation
    private let leftKeys: [CompiledExpr], rightKeys: [CompiledExpr]
    private let residual: CompiledPredicate?
    private let context: RuntimeContext
    private let data: ReferenceData
    private let leftWidth: Int, rightWidth: Int

    /// The table version the index was built from.
    @exclusivity(unchecked) private var version = -1
    @exclusivity(unchecked) private var table = EventBatch(width: 0)
    @exclusivity(unchecked) private var index: [JoinKey: [Int]] = [:]
    @exclusivity(unchecked) private var scratch: [Value]

    public init(_ operation: JoinOperation, data: ReferenceData, leftWidth: Int, context: RuntimeContext) {
        self.operation = operation
        leftKeys = operation.leftKeys.map(ExprCompiler.compile)
        rightKeys = operation.rightKeys.map(ExprCompiler.compile)
        residual = operation.residual.map(ExprCompiler.compilePredicate)
        self.context = context
        self.data = data
        self.leftWidth = leftWidth
        rightWidth = data.width
        scratch = Array(repeating: .null, count: leftWidth + data.width)
    }

    public var stateDescription: String { "reference rows=\(table.count) keys=\(index.count)" }

    /// Rebuilds the index when the reference data changed since the last batch.
    private func sync() {
        data.refreshIfDue()
        guard data.version != version else { return }
        version = data.version
        table = data.rows
        index = [:]
        guard !rightKeys.isEmpty else { return }
        table.forEachRow { i, row in
            do throws(EvalError) {
                if let key = try JoinKey.of(row, rightKeys) { index[key, default: []].append(i) }
            } catch {
                context.rowError(error, in: "reference JOIN key")
            }
        }
    }

    public func process(_ batch: EventBatch, port: Int) throws {
        sync()
        var out = EventBatch(width: leftWidth + rightWidth, capacity: batch.count)
        let all = Array(0..<table.count)
        batch.forEachRow { i, row in
            scratch.replaceSubrange(0..<leftWidth, with: batch.row(i))
            var matched = false
            do throws(EvalError) {
                if rightKeys.isEmpty {
                    matched = join(all, time: row.time, into: &out)
                } else if let key = try JoinKey.of(row, leftKeys), let rows = index[key] {
                    matched = join(rows, time: row.time, into: &out)
                }
            } catch {
                context.rowError(error, in: "JOIN key")
                return
            }
            if !matched && operation.kind == .left {
                for k in leftWidth..<(leftWidth + rightWidth) { scratch[k] = .null }
                out.append(scratch, time: row.time)
            }
        }
        try downstream.emit(out)
    }

    /// Appends the joined rows of `scratch`'s left row with each candidate that passes the condition.
    private func join(_ candidates: [Int], time: Int64, into out: inout EventBatch) -> Bool {
        var matched = false
        for r in candidates {
            scratch.replaceSubrange(leftWidth..<(leftWidth + rightWidth), with: table.row(r))
            if let residual {
                let pass: Bool? = scratch.withUnsafeBufferPointer { buf in
                    do throws(EvalError) {
                        // swiftlint:disable:next force_unwrapping
                        return try residual(RowRef(values: buf.baseAddress!, time: time))
                    } catch {
                        context.rowError(error, in: "JOIN ON")
                        return nil
                    }
                }
                guard pass == true else { continue }
            }
            out.append(scratch, time: time)
            matched = true
        }
        return matched
    }

    public func watermark(_ time: Int64, port: Int) throws { try downstream.watermark(time) }
    public func finish(port: Int) throws { try downstream.finish() }
}
