import Planner

/// Where an operator's output goes: every consumer, each on its own input port. Watermarks are
/// forwarded only when they advance.
package final class Downstream {
    private(set) var targets: [(op: any Operator, port: Int)] = []
    private(set) var lastWatermark = Watermark.none
    /// Rows emitted so far (the live page's rates).
    package private(set) var rowsOut = 0

    package init() {}

    package func connect(_ op: any Operator, port: Int) { targets.append((op, port)) }

    /// Sets the last forwarded watermark (restoring a checkpoint).
    func restore(watermark: Watermark) { lastWatermark = watermark }

    @inline(__always)
    package func emit(_ batch: EventBatch) throws {
        guard !batch.isEmpty else { return }
        rowsOut &+= batch.count
        for t in targets { try t.op.process(batch, port: t.port) }
    }

    /// Forwards a watermark if it advances.
    package func watermark(_ w: Watermark) throws {
        guard w > lastWatermark else { return }
        lastWatermark = w
        for t in targets { try t.op.watermark(w, port: t.port) }
    }

    /// Forwards the end of input (after a last watermark).
    package func finish() throws {
        try watermark(.endOfInput)
        for t in targets { try t.op.finish(port: t.port) }
    }
}
