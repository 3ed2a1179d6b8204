import Planner

/// A job running over its bound inputs until they end or a stop is requested: a ``Pipeline``, or a
/// ``PartitionedRun`` for jobs whose Kafka input keeps its state per partition (`state_topic`).
package protocol JobRun: AnyObject {
    var context: RuntimeContext { get }
    /// Reads the inputs until each has ended or `stopRequested` returns true; outputs are flushed
    /// and state saved (where the job keeps any) before it returns.
    func run(until stopRequested: () -> Bool) throws
}

extension Pipeline: JobRun {}
extension PartitionedRun: JobRun {}

/// The run of `plan`: a ``PartitionedRun`` when its Kafka input has `state_topic` (`options.restore`
/// and `options.checkpoints` then do not apply: the state topic holds the state), else a ``Pipeline``.
package func makeJobRun(plan: PhysicalPlan, settings: JobSettings, options: PipelineOptions,
                       context: RuntimeContext = RuntimeContext()) throws -> any JobRun {
    if plan.stateTopic != nil {
        return try PartitionedRun(plan: plan, settings: settings, options: options, context: context)
    }
    do {
        return try Pipeline(plan: plan, settings: settings, options: options, context: context)
    } catch let newer as NewerCheckpoint {
        // An output committed a checkpoint the state directory did not get to store: continue from it.
        guard let store = options.checkpoints else { throw newer }
        let checkpoint = try Checkpoint(decoding: newer.state)
        try store.save(newer.state, at: context.clock.now)
        context.onNotice?("resuming from the newer checkpoint that \(newer.source) committed")
        var o = options
        o.restore = checkpoint
        return try Pipeline(plan: plan, settings: settings, options: o, context: context)
    }
}
