@_exported import Planner
@_exported import Runtime
@_exported import SAQLParser

/// A job that failed to compile, with its diagnostics rendered against the source.
public struct CompileFailure: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]
    public var source: SourceFile
    public init(diagnostics: [Diagnostic], source: SourceFile) {
        self.diagnostics = diagnostics
        self.source = source
    }
    public var description: String { DiagnosticRenderer().render(diagnostics, in: source) }
}

/// Runs one compiled job in-process: the embedding API for edge gateways and tests.
///
/// Push events into inputs, move time forward, and read each output's rows as they are produced.
/// Outputs without a binding in the job file are delivered to ``rows(of:)``. The engine is not
/// thread-safe: call it from one task or thread at a time.
public final class Engine: @unchecked Sendable {
    public let job: CompiledJob
    private let pipeline: Pipeline
    private var decoders: [String: EventDecoderBox] = [:]
    private var streams: [String: (stream: AsyncStream<Record>, continuation: AsyncStream<Record>.Continuation)] = [:]
    private var buffered: [String: [Record]] = [:]
    private var clock: Timestamp

    /// Compiles `text` (a `.saql` job or a bare ASA query) and builds its operators.
    /// - Parameters:
    ///   - startTime: the arrival time of events pushed without one, until ``advance(to:)`` moves it.
    ///   - catalog: the connectors, functions and aggregates the job may name.
    public init(job text: String, name: String = "job.saql", overrides: BindingOverrides = BindingOverrides(),
                startTime: Timestamp = Timestamp(ticks: 0), catalog: Catalog = .standard) throws {
        var o = overrides
        o.embedded = true
        let source = SourceFile(name: name, text: text)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: o, check: .complete, catalog: catalog)
        guard let compiled else { throw CompileFailure(diagnostics: diagnostics, source: source) }
        job = compiled
        clock = startTime
        var streams: [String: (AsyncStream<Record>, AsyncStream<Record>.Continuation)] = [:]
        for output in compiled.outputs {
            let (s, c) = AsyncStream.makeStream(of: Record.self, bufferingPolicy: .unbounded)
            streams[output.name] = (s, c)
        }
        var options = PipelineOptions(runStart: startTime.ticks)
        options.onRow = { name, record, _ in streams[name]?.1.yield(record) }
        options.onOutputClosed = { name in streams[name]?.1.finish() }
        pipeline = try Pipeline(plan: compiled.physical, settings: compiled.settings, options: options)
        self.streams = streams.mapValues { (stream: $0.0, continuation: $0.1) }
    }

    /// What the run has done so far: events in and out, adjustments and drops by reason.
    public var counters: RuntimeCounters { pipeline.context.counters }

    /// The names of the job's inputs and outputs.
    public var inputNames: [String] { pipeline.inputNames }
    public var outputNames: [String] { job.outputs.map(\.name) }

    /// The rows of an output, in production order; the sequence ends after ``finish()``.
    public func rows(of output: String) -> AsyncStream<Record> {
        let key = streams.keys.first { $0.caseInsensitiveEquals(output) } ?? output
        return streams[key]?.stream ?? AsyncStream { $0.finish() }
    }

    /// Pushes one event, as JSON (or CSV for CSV inputs) text.
    /// - Parameter arrival: the event's arrival time; defaults to the engine's current time.
    /// - Throws: ``DecodeError`` for malformed text (the event is counted and skipped).
    public func push(json text: String, to input: String, arrival: Timestamp? = nil) throws {
        let name = try resolve(input)
        let box = try decoderBox(name)
        var batch = EventBatch(width: box.decoder.width)
        var bytes = Array(text.utf8)
        counters.inputEvents[name, default: 0] += 1
        do {
            try bytes.withUnsafeMutableBufferPointer { buf in
                try box.decoder.decode(UnsafeBufferPointer(buf), into: &batch, defaultArrival: (arrival ?? clock).ticks)
            }
        } catch {
            counters.malformedEvents += 1
            throw error
        }
        try pipeline.push(batch, to: name)
    }

    /// Pushes one event given as a record.
    public func push(_ record: Record, to input: String, arrival: Timestamp? = nil) throws {
        var bytes: [UInt8] = []
        JSONWriter.append(.record(record), to: &bytes)
        try push(json: String(decoding: bytes, as: UTF8.self), to: input, arrival: arrival)
    }

    /// Replaces a reference input's table. Rows pushed afterwards join with the new table; a table
    /// is swapped whole, never seen half-updated. Bind the input with
    /// `overrides.references[name] = .embedded(format: .json)` to feed it only through this call.
    public func setReference(_ input: String, rows: [Record]) throws {
        try pipeline.replaceReference(input, records: rows)
    }

    /// Moves the engine's clock forward. Inputs that received nothing advance their watermark to
    /// `time - late_arrival_tolerance`, so windows close even while a device is silent.
    public func advance(to time: Timestamp) throws {
        guard time > clock else { return }
        clock = time
        for name in pipeline.inputNames { try pipeline.heartbeat(name, arrival: time.ticks) }
    }

    /// Ends every input: all open windows are emitted and every output's sequence finishes.
    public func finish() throws { try pipeline.finish() }

    private func resolve(_ input: String) throws -> String {
        guard let name = pipeline.inputNames.first(where: { $0.caseInsensitiveEquals(input) }) else {
            throw ConnectorError("the job has no input '\(input)'; inputs are: \(pipeline.inputNames.joined(separator: ", "))")
        }
        return name
    }

    private func decoderBox(_ name: String) throws -> EventDecoderBox {
        if let d = decoders[name] { return d }
        guard let d = pipeline.decoder(for: name) else { throw ConnectorError("the job has no input '\(name)'") }
        let box = EventDecoderBox(d)
        decoders[name] = box
        return box
    }
}

/// Holds a decoder's mutable hint state between pushes.
final class EventDecoderBox {
    var decoder: EventDecoder
    init(_ d: EventDecoder) { decoder = d }
}
