import Planner

/// Checkpoints: a pipeline's whole state between two batches, and its restoration into a new
/// pipeline built from the same plan.
///
/// Exactly-once for file outputs: a checkpoint first makes every output durable and records its
/// length; a restored run cuts each output back to that length and reads its inputs on from the
/// recorded positions, so rows written after the checkpoint are written again exactly once.
extension Pipeline {
    /// The outputs map key of the dead-letter output.
    static let deadLetterKey = "\u{0}dead_letter"

    /// A stable 64-bit FNV-1a hash of the physical plan's text.
    static func fingerprint(of plan: PhysicalPlan) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in Explain.physical(plan).utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// Takes a checkpoint now (call between batches). Outputs are made durable first.
    public func checkpoint() throws -> Checkpoint {
        var c = Checkpoint(fingerprint: fingerprint)
        for s in sinks { c.outputs[s.name] = try s.checkpointPosition() }
        if let dl = deadLetterWriter { c.outputs[Self.deadLetterKey] = try dl.checkpoint() }
        for (id, op) in nodeOperators {
            if let stateful = op as? any StatefulOperator {
                var w = StateWriter()
                stateful.saveState(into: &w)
                c.operators[id] = (type(of: stateful).stateVersion, w.bytes)
            } else if !(op is any StatelessOperator) {
                throw StateError("checkpoints do not cover \(type(of: op)) yet (plan node #\(id)): run this job without a state directory")
            }
        }
        for (id, d) in nodeOutputs where d.lastWatermark != .min { c.watermarks[id] = d.lastWatermark }
        for (source, _, clock) in sources {
            c.inputs[source.input] = (source.position, clock, false)
        }
        for name in inputOrder where inputs[name]?.ended == true { c.inputs[name] = ([], .max, true) }
        var w = StateWriter()
        context.counters.save(into: &w)
        c.counters = w.bytes
        c.processingTime = processingTime
        return c
    }

    /// Restores operator state, watermarks and counters (at the end of `init`).
    func restoreOperators(_ c: Checkpoint) throws {
        for (id, op) in nodeOperators {
            guard let stateful = op as? any StatefulOperator else { continue }
            guard let saved = c.operators[id] else { throw StateError("the checkpoint has no state for plan node #\(id)") }
            let version = type(of: stateful).stateVersion
            guard saved.version == version else {
                throw StateError("the checkpoint holds state version \(saved.version) for plan node #\(id) (\(type(of: op))); "
                    + "this saql writes version \(version): remove the state directory to start over")
            }
            var r = StateReader(bytes: saved.state)
            do throws(StateError) { try stateful.restoreState(from: &r) } catch {
                throw StateError("plan node #\(id) (\(type(of: op))): \(error.message)")
            }
        }
        for (id, w) in c.watermarks { nodeOutputs[id]?.restore(watermark: w) }
        processingTime = c.processingTime
        // A partition's checkpoint has no counters: the run's go on.
        guard !c.counters.isEmpty else { return }
        var r = StateReader(bytes: c.counters)
        try context.counters.restore(from: &r)
    }

    /// Moves the opened sources to the checkpoint's positions; inputs that had ended stay ended.
    func restoreSources(_ c: Checkpoint) throws {
        for name in inputOrder where c.inputs[name]?.ended == true { inputs[name]?.ended = true }
        sources.removeAll { c.inputs[$0.source.input]?.ended == true }
        for i in sources.indices {
            guard let saved = c.inputs[sources[i].source.input] else { continue }
            sources[i].clock = saved.clock
            try sources[i].source.restore(position: saved.position)
        }
    }
}
