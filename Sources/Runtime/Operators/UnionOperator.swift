import Planner

/// Merges several inputs; its watermark is the minimum of theirs.
public final class UnionOperator: PortClockOperator {
    public var name: String { "Union" }
    public let downstream = Downstream()
    private var clock: PortClock
    var portClock: PortClock {
        get { clock }
        set { clock = newValue }
    }

    public init(ports: Int) { clock = PortClock(ports: ports) }

    public func process(_ batch: EventBatch, port: Int) throws { try downstream.emit(batch) }
    public func watermark(_ w: Watermark, port: Int) throws { try downstream.watermark(clock.advance(port, to: w)) }
    public func finish(port: Int) throws {
        if clock.end(port) { try downstream.finish() } else { try downstream.watermark(clock.combined) }
    }
}
