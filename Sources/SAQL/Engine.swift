import Planner
import Runtime
import SAQLParser

/// Runs one compiled job in-process: the embedding API, for edge gateways and tests.
///
/// Push events into inputs, move time forward, and read each delivered output's rows from
/// ``rows(of:)`` as they are produced. Outputs the job binds itself (a file, Kafka, SQLite) are
/// written there; every other output is delivered.
///
/// **Threads.** `Engine` is an actor: calls from any task or thread are serialized, and the job
/// runs on the caller's turn of the actor. Rows are handed to readers through bounded buffers
/// (``Options/outputBuffer``): a push that fills an output's buffer waits until its reader takes
/// rows, so a slow reader slows the producer instead of growing memory. **Read every delivered
/// output** (or bind it elsewhere in the job): an output nobody reads stops the pushes once its
/// buffer is full.
///
/// **Failures.** Malformed events are counted and thrown as ``SAQLError/malformedEvent(input:message:)``;
/// the job goes on. A failure that stops the job (a JavaScript function over its time limit, an
/// output that cannot be written) is thrown as ``SAQLError/jobFailed(_:)`` by the call that hit it
/// and by every later one, and each output's sequence ends by throwing it.
public actor Engine {
    /// How an engine is set up, besides its job.
    public struct Options: Sendable {
        /// The arrival time of events pushed without one, until ``Engine/advance(to:)`` moves it.
        public var startTime = Timestamp(ticks: 0)
        /// Job settings, as `SET key = 'value'` would give them (`late_arrival_tolerance`, ...);
        /// they override the job's own.
        public var settings: [String: String] = [:]
        /// Swift functions the query may call as `udf.name(...)` and `uda.name(...)`.
        public var functions: [SwiftFunction] = []
        /// Inputs that are reference data, fed whole with ``Engine/setReference(_:rows:)``.
        public var referenceInputs: [String] = []
        /// Rows an output holds for its reader before pushes wait (at least 1).
        public var outputBuffer = 4096
        /// Where relative paths in the job's header resolve (reference files, function code).
        public var directory: String?

        public init() {}
    }

    private let pipeline: Pipeline
    /// Each input's decoder, kept between pushes (it learns the events' field order).
    private var decoders: [String: DecoderBox] = [:]
    private var clock: Timestamp
    private var failure: SAQLError?
    private let channels: [String: OutputChannel]
    /// The job's input names, in the order the query names them.
    public nonisolated let inputNames: [String]
    /// The outputs delivered to ``rows(of:)``, in the order the query names them.
    public nonisolated let outputNames: [String]

    /// Compiles `job` (a `.saql` job or a bare ASA query) and builds its operators.
    /// - Parameter name: the file name diagnostics give.
    /// - Throws: ``SAQLError/compile(_:)`` when the job does not compile; ``SAQLError/invalidFunction(_:)``
    ///   for a function registered twice or under a name a query cannot call.
    public init(job: String, name: String = "job.saql", options: Options = Options()) throws(SAQLError) {
        var overrides = BindingOverrides()
        overrides.settings = options.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        for r in options.referenceInputs { overrides.references[r] = .embedded(format: .json) }
        overrides.jobDirectory = options.directory
        let catalog = try SwiftFunction.catalog(with: options.functions)
        try self.init(job: job, name: name, overrides: overrides, startTime: options.startTime, catalog: catalog,
                      outputBuffer: options.outputBuffer)
    }

    /// The in-package form: any bindings and any catalog (tests extend the catalog directly).
    package init(job text: String, name: String = "job.saql", overrides: BindingOverrides, startTime: Timestamp = Timestamp(ticks: 0),
                 catalog: Catalog = .standard, outputBuffer: Int = 4096) throws(SAQLError) {
        var o = overrides
        o.embedded = true
        let source = SourceFile(name: name, text: text)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: o, check: .complete, catalog: catalog)
        guard let compiled else { throw .compile(CompileDiagnostic.all(diagnostics, in: source)) }
        let delivered = compiled.outputs.filter { $0.endpoint.connector == "embedded" }.map(\.name)
        var channels: [String: OutputChannel] = [:]
        for name in delivered { channels[name] = OutputChannel(name: name, limit: max(1, outputBuffer)) }
        var options = PipelineOptions(runStart: startTime.ticks)
        options.onRow = { [channels] name, record, _ in channels[name]?.send(record) }
        options.onOutputClosed = { [channels] name in channels[name]?.finish(nil) }
        do { pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: options) } catch {
            throw SAQLError.wrapping(error)
        }
        self.channels = channels
        clock = startTime
        inputNames = pipeline.inputNames
        outputNames = delivered
    }

    /// Compiles `job` without running it: its errors and warnings, each with its line, column and
    /// the rendered message (`file:line:col`, the source line and a caret). Knows `functions`'
    /// signatures, as ``init(job:name:options:)`` would.
    public static func check(job: String, name: String = "job.saql", functions: [SwiftFunction] = [],
                             referenceInputs: [String] = []) -> [CompileDiagnostic] {
        let catalog: Catalog
        do throws(SAQLError) { catalog = try SwiftFunction.catalog(with: functions) } catch {
            return [CompileDiagnostic(code: "SAQL2005", severity: .error, message: error.description, line: 0, column: 0,
                                      rendered: error.description)]
        }
        var o = BindingOverrides()
        o.embedded = true
        for r in referenceInputs { o.references[r] = .embedded(format: .json) }
        let source = SourceFile(name: name, text: job)
        return CompileDiagnostic.all(Compiler.compile(source, overrides: o, check: .complete, catalog: catalog).diagnostics, in: source)
    }

    /// What the run has done so far.
    public var counters: EngineCounters { EngineCounters(pipeline.context.counters) }

    /// The rows of a delivered output, in production order. The sequence ends after ``finish()``
    /// and throws the job's failure if it stops. Each output has one sequence, to iterate once;
    /// when its reading task is cancelled the sequence ends, and later rows of that output are
    /// discarded rather than held.
    /// - Throws: ``SAQLError/unknownOutput(_:known:)`` for a name the job does not deliver (an
    ///   output it binds to a file, say); ``SAQLError/outputTaken(_:)`` on a second call.
    public nonisolated func rows(of output: String) throws(SAQLError) -> OutputRows {
        guard let channel = channels.first(where: { $0.key.caseInsensitiveEquals(output) })?.value else {
            throw .unknownOutput(output, known: outputNames)
        }
        guard channel.take() else { throw .outputTaken(channel.name) }
        return OutputRows(channel: channel)
    }

    /// Pushes one event. Its fields are read as the event's JSON would be (types per the job's
    /// `CREATE TABLE`, ISO-8601 event times).
    /// - Parameter arrival: the event's arrival time; defaults to the engine's current time.
    public func push(_ event: Record, to input: String, arrival: Timestamp? = nil) async throws(SAQLError) {
        try await push([event], to: input, arrival: arrival)
    }

    /// Pushes events in one batch (cheaper per event than one at a time). A malformed event is
    /// counted and skipped; the others are pushed, then the first problem is thrown.
    public func push(_ events: [Record], to input: String, arrival: Timestamp? = nil) async throws(SAQLError) {
        try checkRunning()
        let name = try resolve(input)
        let box = try decoder(name)
        var batch = EventBatch(width: box.decoder.width)
        var problem: SAQLError?
        let at = (arrival ?? clock).ticks
        pipeline.context.counters.inputEvents[name, default: 0] += events.count
        for event in events {
            do throws(DecodeError) { try box.decoder.decode(event, into: &batch, arrival: at) } catch {
                pipeline.context.counters.malformedEvents += 1
                problem = problem ?? .malformedEvent(input: name, message: error.message)
            }
        }
        try run { try pipeline.push(batch, to: name) }
        await waitForReaders()
        if let problem { throw problem }
    }

    /// Pushes one event as JSON text (or CSV, for an input whose format is CSV).
    public func push(json text: String, to input: String, arrival: Timestamp? = nil) async throws(SAQLError) {
        try checkRunning()
        let name = try resolve(input)
        let box = try decoder(name)
        var batch = EventBatch(width: box.decoder.width)
        var bytes = Array(text.utf8)
        pipeline.context.counters.inputEvents[name, default: 0] += 1
        let at = (arrival ?? clock).ticks
        let decoded = bytes.withUnsafeMutableBufferPointer { buf -> DecodeError? in
            do throws(DecodeError) {
                try box.decoder.decode(UnsafeBufferPointer(buf), into: &batch, defaultArrival: at)
                return nil
            } catch { return error }
        }
        if let decoded {
            pipeline.context.counters.malformedEvents += 1
            throw .malformedEvent(input: name, message: decoded.message)
        }
        try run { try pipeline.push(batch, to: name) }
        await waitForReaders()
    }

    /// Replaces a reference input's table (one named in ``Options/referenceInputs``). Events pushed
    /// afterwards join with the new table; a table is swapped whole, never seen half-updated.
    public func setReference(_ input: String, rows: [Record]) throws(SAQLError) {
        try checkRunning()
        try run { try pipeline.replaceReference(input, records: rows) }
    }

    /// Moves the engine's clock forward. Inputs that received nothing advance their watermark to
    /// `time - late_arrival_tolerance`, so windows close even while a device is silent.
    public func advance(to time: Timestamp) async throws(SAQLError) {
        try checkRunning()
        guard time > clock else { return }
        clock = time
        try run { for name in pipeline.inputNames { try pipeline.heartbeat(name, arrival: time.ticks) } }
        await waitForReaders()
    }

    /// Ends every input: every open window is emitted and every output's sequence finishes (its
    /// rows stay readable). Nothing can be pushed afterwards.
    public func finish() async throws(SAQLError) {
        try checkRunning()
        try run { try pipeline.finish() }
        failure = .finished
        for c in channels.values { c.finish(nil) }
    }

    // MARK: internals

    private func checkRunning() throws(SAQLError) { if let failure { throw failure } }

    /// Runs a pipeline call; a failure that stops the job ends every output with it.
    private func run(_ body: () throws -> Void) throws(SAQLError) {
        do { try body() } catch {
            let e = SAQLError.wrapping(error)
            if case .jobFailed = e {
                failure = e
                for c in channels.values { c.finish(e) }
            }
            throw e
        }
    }

    /// Waits until every output's buffer has room (its reader took rows, or went away).
    private func waitForReaders() async {
        for c in channels.values { await c.waitForRoom() }
    }

    private func resolve(_ input: String) throws(SAQLError) -> String {
        guard let name = pipeline.inputNames.first(where: { $0.caseInsensitiveEquals(input) }) else {
            throw .unknownInput(input, known: pipeline.inputNames)
        }
        return name
    }

    private func decoder(_ name: String) throws(SAQLError) -> DecoderBox {
        if let d = decoders[name] { return d }
        guard let d = pipeline.decoder(for: name) else { throw .unknownInput(name, known: pipeline.inputNames) }
        let box = DecoderBox(d)
        decoders[name] = box
        return box
    }
}

/// Holds a decoder's mutable state between pushes, so it is not copied on each one.
private final class DecoderBox {
    var decoder: EventDecoder
    init(_ d: EventDecoder) { decoder = d }
}
