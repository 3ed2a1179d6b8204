import Planner

/// Merges several inputs into event-time order (see ``TimeMerge``); its watermark is the minimum
/// of theirs.
public final class UnionOperator: TimeMergingOperator {
    public var name: String { "Union" }
    public let downstream = Downstream()
    @exclusivity(unchecked) var merge: TimeMerge

    /// `widths` are the row widths of the inputs, in port order.
    public init(widths: [Int]) { merge = TimeMerge(widths: widths) }

    public func process(_ batch: EventBatch, port: Int) throws {
        if merge.merges { merge.add(batch, port: port) } else { try downstream.emit(batch) }
    }

    public func watermark(_ w: Watermark, port: Int) throws {
        let (combined, released) = merge.advance(port, to: w)
        for r in released { try downstream.emit(r.rows) }
        try downstream.watermark(combined)
    }

    public func finish(port: Int) throws {
        let (allEnded, combined, released) = merge.end(port)
        for r in released { try downstream.emit(r.rows) }
        if allEnded { try downstream.finish() } else { try downstream.watermark(combined) }
    }
}
