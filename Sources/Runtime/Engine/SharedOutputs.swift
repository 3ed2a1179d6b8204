import Planner

/// The outputs of a job run as several pipelines at once (one per Kafka partition, see
/// ``PartitionedRun``): each output is opened once, and every pipeline writes to it through a
/// member writer of its own. The output sees the lowest watermark among its members, and closes
/// when the run closes it, not when one pipeline ends.
final class SharedOutputs {
    private var outputs: [String: SharedOutput] = [:]

    /// A member writer of the output `name`, opened by `open` on first use.
    func member(_ name: String, open: () throws -> RowWriter) throws -> RowWriter {
        let output = try outputs[name] ?? SharedOutput(writer: open())
        outputs[name] = output
        return SharedOutput.Member(output: output)
    }

    func flush() throws { for o in outputs.values { try o.writer.flush() } }

    func close() throws { for o in outputs.values { try o.writer.close() } }
}

