import Foundation
import ArgumentParser
import SAQL
import Planner
import Runtime
import SAQLParser
#if canImport(Glibc)
import Glibc
#endif

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a job on its inputs until they end.")

    @Argument(help: "The job file (.saql, or a bare ASA query); taken from the project when omitted.")
    var job: String?

    @Option(help: ArgumentHelp("""
        An ASA VS Code project (asaproj.json): its query, JobConfig.json, local inputs and Functions/*.js; \
        outputs go to LocalRunOutputs/ unless bound.
        """, valueName: "PATH"))
    var project: String?

    @OptionGroup var bindings: BindingOptions

    @Option(help: ArgumentHelp("The run's start time (ISO-8601): the arrival time of events without one. Default: now.", valueName: "TIME"))
    var startTime: String?

    @Option(help: "Rows per batch read from an input.")
    var batchSize = 1024

    @Option(help: ArgumentHelp("Threads that read and decode file inputs ahead of the operators. Default: one per core, up to 4, when there is more than one core; 0 reads on the operators' thread.", valueName: "N"))
    var readAhead: Int?

    @Option(help: "Color diagnostics: auto, on or off.")
    var color: ColorMode = .auto

    @Flag(help: "Do not print the summary line.")
    var quiet = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics on http://HOST:PORT/metrics while the job runs.", valueName: "PORT"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("The address the metrics server binds.", valueName: "HOST"))
    var metricsHost = "127.0.0.1"

    @Option(help: ArgumentHelp(
        "Serve the live job page (plan, rates, watermarks, late events, output charts) and /metrics on http://HOST:PORT/ (HOST: 127.0.0.1 unless given; port 0 picks one).",
        valueName: "[HOST:]PORT"))
    var ui: String?

    @Option(help: ArgumentHelp("The token the live page requires (also SAQL_UI_TOKEN); needed when --ui binds a non-loopback address.",
                               valueName: "TOKEN"))
    var uiToken: String?

    @Option(help: ArgumentHelp("Keep checkpoints in DIR and resume from the latest one (overrides SET checkpoint_dir).", valueName: "DIR"))
    var state: String?

    @Flag(help: ArgumentHelp("Start over: ignore the checkpoint in the state directory and empty the tables saql created in SQLite outputs (file outputs are rewritten anyway)."))
    var fromScratch = false

    @Option(help: ArgumentHelp("ASA's JobConfig.json: event ordering, compatibility level, output error policy (--set wins).", valueName: "PATH"))
    var jobConfig: String?

    func run() throws {
        var overrides = try bindings.overrides()
        var job = self.job, jobConfig = self.jobConfig
        if let project {
            let p = try loadProject(project)
            job = job ?? p.queryPath
            jobConfig = jobConfig ?? p.jobConfigPath
            overrides = p.overrides(overrides)
            overrides.outputDirectory = overrides.outputDirectory ?? p.directory + "/LocalRunOutputs"
        }
        guard let job else { throw ValidationError("give the job file, or --project asaproj.json") }
        if let jobConfig {
            do { overrides.settings = try ASAJobConfig.load(jobConfig).settings.map { ($0.key, $0.value) } + overrides.settings } catch {
                printError("saql: error: \(error)")
                throw ExitCode(1)
            }
        }
        let compiled = try compileJob(path: job, overrides: overrides, check: .complete, color: color)
        var start = Timestamp(ticks: Int64(time(nil)) * Timestamp.ticksPerSecond)
        if let startTime {
            guard let t = Timestamp(parsing: startTime) else { throw ValidationError("--start-time: '\(startTime)' is not an ISO-8601 time") }
            start = t
        }
        var options = PipelineOptions(runStart: start.ticks)
        options.batchSize = max(1, batchSize)
        if let readAhead { options.readAheadLanes = min(max(0, readAhead), 4) }
        options.deadLetter = compiled.deadLetter
        let context = RuntimeContext()
        context.onRowError = { printError("saql: warning: \($0)") }
        context.isStopping = { StopSignal.requested }
        var metrics: MetricsServer?
        if let metricsPort {
            let server = MetricsServer()
            do { try server.start(host: metricsHost, port: metricsPort) } catch {
                printError("saql: error: cannot serve metrics on \(metricsHost):\(metricsPort): \(error)")
                throw ExitCode(1)
            }
            metrics = server
            // With --metrics-port 0 this line is the only way to learn the port.
            if !quiet, let port = server.port { printError("saql: metrics on http://\(metricsHost):\(port)/metrics") }
        }
        defer { metrics?.stop() }
        let live = try startLivePage(compiled.physical, context: context, options: &options, metrics: &metrics)
        defer { live?.server.stop() }
        // Progress every few seconds on a terminal; metrics every second.
        let tty = isatty(2) != 0 && !quiet
        var lastLine = Int64.min
        options.onProgress = { status in
            metrics?.update(status)
            if let live { live.server.publish(live.feed.update(status)) }
            let now = context.clock.now
            if tty && now - lastLine >= 5 * Timestamp.ticksPerSecond {
                lastLine = now
                printError("saql: \(status.line)")
            }
        }
        var stateDirectory: String?
        do {
            if compiled.physical.stateTopic != nil {
                // State lives in the input's state topic, per partition.
                if state != nil || compiled.settings.checkpointDirectory != nil {
                    throw ValidationError("this job keeps its state in its input's state_topic: --state and checkpoint_dir do not apply")
                }
            } else if let dir = state ?? compiled.settings.checkpointDirectory.map({ resolve($0, against: job) }) {
                stateDirectory = dir
                let store = try CheckpointStore(directory: dir, discardingExisting: fromScratch)
                options.checkpoints = store
                options.fromScratch = fromScratch
                options.restore = fromScratch ? nil : try store.latest()
                if options.restore != nil && !quiet { printError("saql: resuming from the checkpoint in \(dir)") }
                if options.restore != nil { live?.feed.notice("resumed from the checkpoint in \(dir)") }
            }
            options.checkpointInterval = compiled.settings.checkpointInterval.ticks
            if !quiet { context.onNotice = { printError("saql: \($0)") } }
            if let feed = live?.feed {
                let prior = context.onNotice
                context.onNotice = { prior?($0); feed.notice($0) }
            }
            // Before the outputs open: an output waiting for its server (retrying) must stop on a signal too.
            StopSignal.install()
            let run = try makeJobRun(plan: compiled.physical, settings: compiled.settings, options: options, context: context)
            if let live {
                // After the pipeline set its dead-letter output: the page sees what it writes.
                let prior = context.deadLetter, feed = live.feed
                context.deadLetter = { prior?($0); feed.deadLetter($0) }
            }
            try run.run { StopSignal.requested }
            if StopSignal.requested && !quiet { printError("saql: stopped by signal; outputs flushed") }
        } catch let e as ConnectorError {
            printError("saql: error: \(e.message)")
            throw ExitCode(1)
        } catch let e as JobFailure {
            printError("saql: error: \(e.message)")
            if !quiet { printError("saql: \(context.counters.summary)") }
            throw ExitCode(1)
        } catch let e as StateError {
            // Which file, what is wrong, and how to start over.
            let file = stateDirectory.map { "\($0)/checkpoint.db" } ?? "the saved state"
            printError("saql: error: checkpoint \(file): \(e.message)")
            if let dir = stateDirectory {
                printError("  help: to start from the beginning, move the state directory aside: mv '\(dir)' '\(dir).old'")
            }
            throw ExitCode(1)
        }
        if !quiet { printError("saql: \(context.counters.summary)") }
        if StopSignal.requested { throw ExitCode(StopSignal.exitStatus) }
    }
}

extension Run {
    /// Starts the live page server for `--ui`: its feed taps the outputs, and /metrics is served
    /// beside the page (the metrics registry is made here when `--metrics-port` did not make one).
    func startLivePage(_ plan: PhysicalPlan, context: RuntimeContext, options: inout PipelineOptions,
                       metrics: inout MetricsServer?) throws -> (server: LiveServer, feed: LiveFeed)? {
        guard let ui else { return nil }
        var host = "127.0.0.1", portText = ui
        if let colon = ui.lastIndex(of: ":") {
            host = String(ui[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = String(ui[ui.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw ValidationError("--ui: '\(ui)' is not [HOST:]PORT") }
        let token = (uiToken ?? ProcessInfo.processInfo.environment["SAQL_UI_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        if !LiveServer.isLoopback(host) && token == nil {
            throw ValidationError("--ui binds \(host), which other machines reach: give --ui-token TOKEN or set SAQL_UI_TOKEN")
        }
        let registry = metrics ?? MetricsServer()
        metrics = registry
        let feed = LiveFeed()
        context.outputTap = { feed.tap($0, $1) }
        options.progressInterval = Timestamp.ticksPerSecond / 4
        let server = LiveServer(routes: .init(plan: Explain.physicalJSON(plan), history: { feed.history }, metrics: { registry.text() },
                                              token: token))
        do { try server.start(host: host, port: port) } catch {
            printError("saql: error: cannot serve the live page on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
        if !quiet, let bound = server.port {
            let shown = host.contains(":") ? "[\(host)]" : host
            printError("saql: live page on http://\(shown):\(bound)/" + (token != nil ? " (add ?token=TOKEN to the URL)" : ""))
        }
        return (server, feed)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse, bind, type-check and plan jobs without running them.",
        discussion: "Exit status: 0 when no file has errors, 2 when one does, 1 when a file cannot be read.")

    @Argument(help: "Job files to check (.saql, or bare ASA queries such as .asaql).")
    var jobs: [String] = []

    @Option(help: ArgumentHelp("Check an ASA VS Code project (asaproj.json): its query, with its Functions/*.js and local inputs.",
                               valueName: "PATH"))
    var project: String?

    @OptionGroup var bindings: BindingOptions

    @Option(help: "Output format: text (stderr), json, sarif or github (stdout).")
    var format: DiagnosticFormat = .text

    @Option(help: ArgumentHelp("Take an input's columns from a sample file (JSON Lines, JSON array or CSV): unknown columns become errors.",
                               valueName: "NAME=PATH"))
    var schemaFromSample: [String] = []

    @Option(help: "Color diagnostics: auto, on or off.")
    var color: ColorMode = .auto

    func run() throws {
        var report = DiagnosticReport(files: [], toolVersion: SAQLCommand.configuration.version)
        var unreadable = false
        let project = try self.project.map(loadProject)
        let jobs = self.jobs.isEmpty ? project.map { [$0.queryPath] } ?? [] : self.jobs
        guard !jobs.isEmpty else { throw ValidationError("give the job files to check, or --project asaproj.json") }
        for path in jobs {
            let text: String
            do { text = try TextFile.read(path) } catch {
                printError("saql: error: \(error)")
                unreadable = true
                continue
            }
            let source = SourceFile(name: path, text: text)
            var overrides = try bindings.overrides()
            if let project { overrides = project.overrides(overrides) }
            if let slash = path.lastIndex(of: "/") { overrides.jobDirectory = String(path[..<slash]) }
            for spec in schemaFromSample {
                guard let eq = spec.firstIndex(of: "=") else { throw ValidationError("--schema-from-sample: expected NAME=PATH, got '\(spec)'") }
                do { overrides.schemas[String(spec[..<eq])] = try SchemaSample.fields(ofFile: String(spec[spec.index(after: eq)...])) } catch {
                    printError("saql: error: \(error)")
                    throw ExitCode(1)
                }
            }
            // Reference data on disk gives its columns, so references to missing ones are errors.
            for r in Compiler.header(source, overrides: overrides, catalog: .standard).inputs
            where r.kind == .reference && overrides.schemas[r.name] == nil {
                if let fields = (r.endpoint as? any ReferenceSourceEndpoint)?.sampleColumns() { overrides.schemas[r.name] = fields }
            }
            report.append(source, Compiler.compile(source, overrides: overrides, check: .lenient, catalog: .standard).diagnostics)
        }
        let rendered = report.render(format, color: color.enabled)
        if format == .text { printError(rendered, terminator: "") } else { print(rendered, terminator: "") }
        if unreadable { throw ExitCode(1) }
        if report.files.contains(where: { $0.diagnostics.hasErrors }) { throw ExitCode(2) }
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Print a job's logical and physical plans.")

    @Argument(help: "The job file.")
    var job: String

    @OptionGroup var bindings: BindingOptions

    @Option(help: "Color diagnostics: auto, on or off.")
    var color: ColorMode = .auto

    @Option(help: "text (both plans as trees) or json (the physical plan, one operator per line).")
    var format: PlanFormat = .text

    enum PlanFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let compiled = try compileJob(path: job, overrides: try bindings.overrides(), check: .lenient, color: color)
        if format == .json {
            print(Explain.physicalJSON(compiled.physical), terminator: "")
            return
        }
        print(Explain.logical(compiled.logical), terminator: "")
        print(Explain.physical(compiled.physical), terminator: "")
    }
}

/// A relative path in a job file is relative to the job file's directory.
func resolve(_ path: String, against jobFile: String) -> String {
    guard !path.hasPrefix("/") else { return path }
    let dir = (jobFile as NSString).deletingLastPathComponent
    return dir.isEmpty ? path : dir + "/" + path
}

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run an ASA test suite (testConfig.json) against a query, offline.",
        discussion: """
            saql test QUERY --test-config testConfig.json, or saql test --project asaproj.json (its Test/testConfig.json).
            Exit status: 0 when every case passes, 1 when one fails, 2 when the query does not compile.
            """)

    @Argument(help: "The query (.asaql or .saql); taken from the project or the test config when omitted.")
    var query: String?

    @Option(help: ArgumentHelp("The test suite, as azure-streamanalytics-cicd writes it.", valueName: "PATH"))
    var testConfig: String?

    @Option(help: ArgumentHelp("An ASA VS Code project (asaproj.json): its query, JobConfig.json and Test/testConfig.json.", valueName: "PATH"))
    var project: String?

    @Option(help: ArgumentHelp("ASA's JobConfig.json: event ordering, compatibility level, output error policy.", valueName: "PATH"))
    var jobConfig: String?

    @Option(help: ArgumentHelp("Where to write testResultSummary.json.", valueName: "DIR"))
    var outputPath: String?

    @Option(help: ArgumentHelp("Write a JUnit XML report to PATH.", valueName: "PATH"))
    var junit: String?

    func run() throws {
        var queryPath = query, configPath = testConfig, jobConfigPath = jobConfig
        var functions: [UserFunctionDeclaration] = []
        if let project {
            let p = try loadProject(project)
            queryPath = queryPath ?? p.queryPath
            jobConfigPath = jobConfigPath ?? p.jobConfigPath
            configPath = configPath ?? p.testConfigPath ?? p.directory + "/Test/testConfig.json"
            functions = p.functions
        }
        guard let configPath else { throw ValidationError("give --test-config PATH or --project asaproj.json") }
        let config: ASATestConfig
        var settings: [(key: String, value: String)] = []
        do {
            config = try ASATestConfig.load(configPath)
            if let jobConfigPath { settings = try ASAJobConfig.load(jobConfigPath).settings }
        } catch let e as ConnectorError {
            printError("saql: error: \(e.message)")
            throw ExitCode(1)
        }
        let base = (configPath as NSString).deletingLastPathComponent
        if queryPath == nil, let script = config.Script, !script.isEmpty { queryPath = script.hasPrefix("/") ? script : base + "/" + script }
        guard let queryPath else { throw ValidationError("give the query file (the test config names none)") }
        let text: String
        do { text = try TextFile.read(queryPath) } catch {
            printError("saql: error: \(error)")
            throw ExitCode(1)
        }
        let work = NSTemporaryDirectory() + "saql-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var runner = ASATestRunner(query: SourceFile(name: queryPath, text: text), config: config, baseDirectory: base.isEmpty ? "." : base,
                                   settings: settings, workDirectory: work)
        runner.functions = functions
        let errors = runner.compileErrors()
        if !errors.isEmpty {
            printError(DiagnosticRenderer().render(errors, in: runner.query), terminator: "")
            throw ExitCode(2)
        }
        let summary = try runner.run()
        for c in summary.cases {
            print("\(c.passed ? "PASS" : "FAIL")  \(c.name)")
            if let e = c.error { print(e.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")) }
            for o in c.outputs where o.status != .matched {
                print("      \(o.alias): \(o.status.rawValue)")
                for line in o.diff { print("        " + line) }
            }
        }
        print("\(summary.total) test cases: \(summary.passed) passed, \(summary.failed) failed")
        if let outputPath {
            try FileManager.default.createDirectory(atPath: outputPath, withIntermediateDirectories: true)
            try summary.json.write(toFile: outputPath + "/testResultSummary.json", atomically: true, encoding: .utf8)
        }
        if let junit { try summary.junit(suite: (queryPath as NSString).lastPathComponent).write(toFile: junit, atomically: true, encoding: .utf8) }
        if summary.failed > 0 { throw ExitCode(1) }
    }
}

