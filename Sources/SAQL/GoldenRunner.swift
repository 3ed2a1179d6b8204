import Foundation
import Planner
import Runtime
import SAQLParser

/// Runs golden-file records through the real engine path (files in, files out) and reports
/// differences. Each query runs three times, and all runs must agree: with normal batches, with
/// one-row batches (batching must never change results), and stopped halfway through its input,
/// checkpointed, and continued by a new pipeline restored from the checkpoint.
package struct GoldenRunner {
    /// The fixed run start, so outputs that depend on it are stable.
    package static let runStart = Timestamp(year: 2000, month: 1, day: 1)
    package var workDirectory: String

    package init(workDirectory: String) { self.workDirectory = workDirectory }

    /// The outcome of one record.
    package struct Outcome {
        package var record: GoldenFile.Record
        package var actual: [String]
        package var passed: Bool { actual == record.expected }
        /// Set when the record ran inconsistently (e.g. batch size changed the output).
        package var problem: String?
    }

    package func run(_ file: GoldenFile) throws -> [Outcome] {
        try file.records.map { try run($0) }
    }

    package func run(_ record: GoldenFile.Record) throws -> Outcome {
        let dir = "\(workDirectory)/r\(record.line)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var overrides = BindingOverrides()
        overrides.jobDirectory = dir
        var versions: [(at: Int64, path: String, text: String)] = []
        for input in record.inputs {
            let path = "\(dir)/\(input.name).\(input.format == .csv ? "csv" : "jsonl")"
            try TextFile.write(input.lines.joined(separator: "\n") + "\n", to: path)
            let connector = EndpointSpec.file(path: path, format: input.format, arrivalTimeField: input.arrivalField)
            if input.reference { overrides.references[input.name] = connector } else { overrides.inputs[input.name] = connector }
            for v in input.versions {
                guard let at = Timestamp(parsing: v.at) else { throw ConnectorError("version time '\(v.at)' is not ISO-8601") }
                versions.append((at.ticks, path, v.lines.joined(separator: "\n") + "\n"))
            }
        }
        let source = SourceFile(name: "query.saql", text: record.query + "\n")
        switch record.kind {
        case .error:
            let (_, diagnostics) = Compiler.compile(source, overrides: overrides, check: .lenient, catalog: .standard)
            let text = DiagnosticRenderer().render(diagnostics, in: source)
            return Outcome(record: record, actual: text.split(separator: "\n").map(String.init))
        case .explain:
            let (job, diagnostics) = Compiler.compile(source, overrides: overrides, check: .lenient, catalog: .standard)
            guard let job else {
                return Outcome(record: record, actual: DiagnosticRenderer().render(diagnostics, in: source).split(separator: "\n").map(String.init))
            }
            let text = record.json ? Explain.physicalJSON(job.physical) : Explain.logical(job.logical) + Explain.physical(job.physical)
            return Outcome(record: record, actual: text.split(separator: "\n").map { String($0).replacingAll(dir + "/", with: "") })
        case .query:
            var outputs: [String] = []
            var first: [String]?
            var problem: String?
            for batchSize in record.eventAtATime ? [1] : [1024, 1] {
                overrides.outputDirectory = "\(dir)/out\(batchSize)"
                if record.deadLetter { overrides.deadLetter = .file(path: "\(dir)/out\(batchSize)/dead_letter.jsonl", format: .json) }
                let (job, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete, catalog: .standard)
                guard let job else {
                    return Outcome(record: record, actual: DiagnosticRenderer().render(diagnostics, in: source).split(separator: "\n").map(String.init))
                }
                var options = PipelineOptions(runStart: Self.runStart.ticks)
                options.batchSize = batchSize
                options.deadLetter = job.deadLetter
                let clock = ReplayClock(versions: versions.sorted { $0.at < $1.at })
                let context = RuntimeContext()
                context.clock = clock
                let pipeline = try Pipeline(plan: job.physical, settings: job.settings, options: options, context: context)
                clock.pipeline = pipeline
                try pipeline.runFileInputs()
                outputs = job.outputs.map(\.name) + (record.deadLetter ? ["dead_letter"] : [])
                let lines = printedOutputs(record, outputs, in: "\(dir)/out\(batchSize)", recordDirectory: dir)
                if let f = first, f != lines { problem = "batch size 1 gave different output than batch size 1024" }
                if first == nil { first = lines }
            }
            if problem == nil, let expected = first {
                let resumed = try runWithCheckpoint(record, source: source, overrides: overrides, versions: versions, dir: dir,
                                                    outputs: outputs)
                if resumed != expected {
                    problem = "a run restored from a checkpoint taken halfway gave different output:\n" + resumed.joined(separator: "\n")
                }
            }
            return Outcome(record: record, actual: first ?? [], problem: problem)
        }
    }
}

extension GoldenRunner {
    /// Runs a query with one-row batches, stops it after half its events, checkpoints, then builds a
    /// new pipeline from the checkpoint and runs it to the end. Returns the outputs as `run` prints
    /// them. Every operator is checkpointed, so this rerun is never skipped.
    func runWithCheckpoint(_ record: GoldenFile.Record, source: SourceFile, overrides: BindingOverrides,
                           versions: [(at: Int64, path: String, text: String)], dir: String, outputs: [String]) throws -> [String] {
        var overrides = overrides
        let out = "\(dir)/outcp"
        overrides.outputDirectory = out
        if record.deadLetter { overrides.deadLetter = .file(path: "\(out)/dead_letter.jsonl", format: .json) }
        // Reference files go back to their first version; the runs replay the versions again.
        for input in record.inputs where !input.versions.isEmpty {
            try TextFile.write(input.lines.joined(separator: "\n") + "\n", to: "\(dir)/\(input.name).\(input.format == .csv ? "csv" : "jsonl")")
        }
        let (job, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete, catalog: .standard)
        guard let job else { throw ConnectorError("the checkpoint rerun does not compile: \(diagnostics.first?.message ?? "")") }
        let total = record.inputs.filter { !$0.reference }.reduce(0) { $0 + $1.lines.count }
        let store = try CheckpointStore(directory: "\(dir)/state")
        var options = PipelineOptions(runStart: Self.runStart.ticks)
        options.batchSize = 1
        options.deadLetter = job.deadLetter
        options.checkpoints = store
        options.checkpointInterval = .max
        let clock = ReplayClock(versions: versions.sorted { $0.at < $1.at })
        let firstContext = RuntimeContext()
        firstContext.clock = clock
        let first = try Pipeline(plan: job.physical, settings: job.settings, options: options, context: firstContext)
        clock.pipeline = first
        try first.run(until: { first.context.counters.inputEvents.values.reduce(0, +) >= total / 2 })
        guard let checkpoint = try store.latest() else { throw ConnectorError("the stopped run left no checkpoint") }
        options.restore = checkpoint
        let secondContext = RuntimeContext()
        secondContext.clock = clock
        let second = try Pipeline(plan: job.physical, settings: job.settings, options: options, context: secondContext)
        clock.pipeline = second
        try second.runFileInputs()
        return printedOutputs(record, outputs, in: out, recordDirectory: dir)
    }

    /// The outputs' rows as a record prints them: `>> name` headers when there are several, rows
    /// sorted for `rowsort` records and for the dead-letter output, paths relative to the record.
    func printedOutputs(_ record: GoldenFile.Record, _ outputs: [String], in directory: String, recordDirectory dir: String) -> [String] {
        var lines: [String] = []
        for name in outputs.sorted() {
            var rows = ((try? TextFile.read("\(directory)/\(name).jsonl")) ?? "").split(separator: "\n").map(String.init).map { $0.replacingAll(dir + "/", with: "") }
            // Rejections are reported as each stage meets them, which depends on batching.
            if record.rowsort || name == "dead_letter" { rows.sort() }
            if outputs.count > 1 || name != "output" { lines.append(">> \(name)") }
            lines += rows
        }
        return lines
    }
}

/// The wall clock of a golden run: the latest arrival time read. Reference files change to their
/// next version when it passes the version's time.
final class ReplayClock: Clock {
    weak var pipeline: Pipeline?
    private var versions: [(at: Int64, path: String, text: String)]

    init(versions: [(at: Int64, path: String, text: String)]) { self.versions = versions }

    var now: Int64 {
        let t = pipeline?.processingTime ?? .min
        while let v = versions.first, v.at <= t {
            try? TextFile.write(v.text, to: v.path)
            versions.removeFirst()
        }
        return t
    }

    /// Golden runs never wait.
    func sleep(ticks: Int64) {}
}
