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

    /// Takes a checkpoint now (call between batches). Outputs are made durable first.
    package func checkpoint() throws -> Checkpoint {
        var c = Checkpoint(fingerprint: fingerprint)
        for s in sinks { c.outputs[s.output] = try s.checkpointPosition() }
        if let dl = deadLetterWriter { c.outputs[Self.deadLetterKey] = try dl.checkpoint() }
        for (id, op) in nodeOperators where type(of: op).stateVersion != 0 {
            var w = StateWriter()
            op.saveState(into: &w)
            if let failure = w.failure { throw StateError("plan node #\(id) (\(op.name)): \(failure)") }
            c.operators[id] = (type(of: op).stateVersion, w.bytes)
        }
        for (id, d) in nodeOutputs where d.lastWatermark != .none { c.watermarks[id] = d.lastWatermark.time }
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
        for (id, op) in nodeOperators where type(of: op).stateVersion != 0 {
            let version = type(of: op).stateVersion
            guard let saved = c.operators[id] else {
                throw StateError("the checkpoint has no state for plan node #\(id) (\(op.name))", kind: .incompatible)
            }
            guard saved.version == version else {
                throw StateError("the checkpoint holds state version \(saved.version) for plan node #\(id) (\(op.name)); "
                    + "this saql writes version \(version): remove the state directory to start over", kind: .incompatible)
            }
            var r = StateReader(bytes: saved.state)
            do throws(StateError) {
                try op.restoreState(from: &r)
                guard r.isAtEnd else { throw StateError("\(r.remaining) bytes follow the state") }
            } catch {
                throw error.at("plan node #\(id) (\(op.name))")
            }
        }
        for (id, w) in c.watermarks {
            guard w == .min || w == .max || Timestamp.representable.contains(w) else {
                throw StateError("plan node #\(id): the checkpoint holds a watermark outside years 0001-9999")
            }
            nodeOutputs[id]?.restore(watermark: Watermark(w))
        }
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
