import Planner

/// A transaction the outputs write in, which can also commit the inputs' read positions (Kafka's
/// `send_offsets_to_transaction`): rows and positions commit together or not at all.
protocol OutputTransaction: AnyObject {
    /// Commits the open transaction, with the read positions of those `sources` it can include.
    func commit(positionsOf sources: [any EventSource]) throws
    /// Aborts the open transaction (a failed run).
    func abort()
}
