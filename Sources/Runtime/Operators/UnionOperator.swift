import Planner

/// Merges several inputs into event-time order (see ``TimeMerge``); its watermark is the minimum
/// of theirs.
package final class UnionOperator: TimeMergingOperator {
    package var name: String { "Union" }
    package let downstream = Downstream()
    @exclusivity(unchecked) var merge: TimeMerge

    /// `widths` are the row widths of the inputs, in port order.
    package init(widths: [Int]) { merge = TimeMerge(widths: widths) }

    package func process(_ batch: EventBatch, port: Int) throws {
        if merge.merges { merge.add(batch, port: port) } else { try downstream.emit(batch) }
    }

    package func watermark(_ w: Watermark, port: Int) throws {
        let (combined, released) = merge.advance(port, to: w)
        for r in released { try downstream.emit(r.rows) }
        try downstream.watermark(combined)
    }

    package func finish(port: Int) throws {
        let (allEnded, combined, released) = merge.end(port)
        for r in released { try downstream.emit(r.rows) }
        if allEnded { try downstream.finish() } else { try downstream.watermark(combined) }
    }
}
