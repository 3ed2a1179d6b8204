import Planner

/// What a source is built with: its input, the row layout the plan reads, and the run's services.
package struct SourceContext {
    package let input: String
    package let layout: InputLayout
    package let compatibility: CompatibilityLevel
    /// The arrival time of events that have none (the run's start, as in ASA local runs).
    package let runStart: Int64
    package let runtime: RuntimeContext
}

/// How an output starts when no checkpoint is restored.
package enum OutputStart: Sendable {
    /// The job keeps no checkpoints: outputs are written as on any run.
    case plain
    /// The first run of a job that keeps checkpoints: rows already in a saql-owned output were
    /// written by a run no checkpoint accounts for, so they are refused, or removed when
    /// `fromScratch`.
    case fresh(fromScratch: Bool)
}

/// An input endpoint the runtime can read as a stream of events.
package protocol StreamSourceEndpoint: InputEndpoint {
    func makeSource(_ context: SourceContext) throws -> any EventSource
}

/// An input endpoint the runtime can load reference tables from.
package protocol ReferenceSourceEndpoint: InputEndpoint {
    /// A function that loads the whole table (called at start and at each refresh), or `nil` when
    /// the table is fed in-process (``Pipeline/replaceReference(_:records:)``).
    func makeLoader(_ context: SourceContext) throws -> (() throws -> EventBatch)?
    /// The table's columns if they can be read now without running the job (`saql check`).
    func sampleColumns() -> [String]?
}

extension ReferenceSourceEndpoint {
    package func sampleColumns() -> [String]? { nil }
}

/// What a writer is built with.
package struct SinkContext {
    package let output: String
    package let policy: OutputErrorPolicy
    /// The output's position in the checkpoint being restored (``RowWriter/checkpoint()``).
    package let resume: [UInt8]?
    /// How the output starts when `resume` is nil: without checkpoints (`plain`), or as the first
    /// run of a job that checkpoints, whose rows a later restore must be able to account for.
    package let start: OutputStart
    package let runtime: RuntimeContext
    /// Connections and producers shared by a pipeline's outputs (one SQLite file, one Kafka transaction).
    package let resources: SharedResources
    /// In-process delivery of rows, for outputs that hand them to the embedder.
    package let deliver: ((String, Record, Int64) -> Void)?
    package let delivered: ((String) -> Void)?
    /// The names of the output's columns as planned, for formats that declare them before any row
    /// (an empty Parquet file); empty when they are known only from rows (`SELECT *` of a schemaless input).
    package let columns: [String]

    /// The output's error policy applied to file writes (retry with backoff, or drop and count).
    var errorHandling: WriteErrorHandling { WriteErrorHandling(policy: policy, output: output, context: runtime) }
}

/// An output endpoint the runtime can write rows to.
package protocol SinkEndpoint: OutputEndpoint {
    func makeWriter(_ context: SinkContext) throws -> any RowWriter
    /// True for outputs that exist to be charted (`dashboard`): the live page gets every row
    /// of theirs, and a sample of other outputs' rows.
    var chartsEveryRow: Bool { get }
}

extension SinkEndpoint {
    package var chartsEveryRow: Bool { false }
}

/// An output endpoint that is a plain byte stream (a file, standard output): the dead-letter
/// output can be one.
protocol ByteStreamEndpoint: OutputEndpoint {
    func makeByteSink(resumeAt: Int64?) throws -> ByteSink
}

