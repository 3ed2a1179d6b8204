import ArgumentParser
import SAQL
import Planner
import Runtime
import SAQLParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct SAQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saql",
        abstract: "Run, check and explain Azure Stream Analytics queries anywhere.",
        discussion: """
            Exit status: 0 on success, 2 when the job does not compile, 1 on usage or I/O errors.
            """,
        version: "0.1.0",
        subcommands: [Run.self, Check.self, ExplainCommand.self, TestCommand.self])
}

/// Options binding a job's inputs and outputs from the command line.
struct BindingOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp("Bind an input to a file: NAME=PATH (format from the extension).", valueName: "NAME=PATH"))
    var inputs: [String] = []

    @Option(name: .customLong("reference"), help: ArgumentHelp("Bind a reference input to a file: NAME=PATH.", valueName: "NAME=PATH"))
    var references: [String] = []

    @Option(name: .customLong("output"), help: ArgumentHelp("Bind an output to a file (or '-' for stdout): NAME=PATH.", valueName: "NAME=PATH"))
    var outputs: [String] = []

    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Write every output not bound otherwise to DIR/NAME.jsonl.", valueName: "DIR"))
    var outputDir: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a job setting: key=value.", valueName: "KEY=VALUE"))
    var settings: [String] = []

    @Option(name: .customLong("dead-letter"), help: ArgumentHelp("Write every late, early, out-of-order, malformed or unreadable event to PATH (JSON Lines), with why.", valueName: "PATH"))
    var deadLetter: String?

    func overrides() throws -> BindingOverrides {
        var o = BindingOverrides()
        o.environment = ProcessEnvironment.all
        for spec in inputs {
            let (name, path) = try split(spec, "--input")
            o.inputs[name] = .file(path: path)
        }
        for spec in references {
            let (name, path) = try split(spec, "--reference")
            o.references[name] = .file(path: path)
        }
        for spec in outputs {
            let (name, path) = try split(spec, "--output")
            o.outputs[name] = path == "-" ? .stdout() : .file(path: path)
        }
        o.outputDirectory = outputDir
        o.deadLetter = deadLetter.map { $0 == "-" ? .stdout() : .file(path: $0, format: .json) }
        for spec in settings { o.settings.append(try split(spec, "--set")) }
        return o
    }

    private func split(_ spec: String, _ flag: String) throws -> (String, String) {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
            throw ValidationError("\(flag) expects NAME=VALUE, got '\(spec)'")
        }
        return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
    }
}

/// How diagnostics are colored.
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case auto, on, off

    var enabled: Bool {
        switch self {
        case .on: return true
        case .off: return false
        case .auto: return isatty(2) != 0 && ProcessEnvironment.all["NO_COLOR"] == nil
        }
    }
}

/// Reads a job file and compiles it, printing diagnostics to stderr.
/// Exits 1 when the file cannot be read and 2 when the job has errors.
func compileJob(path: String, overrides: BindingOverrides, check: BindingCheck, color: ColorMode) throws -> CompiledJob {
    let text: String
    do { text = try TextFile.read(path) } catch {
        printError("saql: error: \(error)")
        throw ExitCode(1)
    }
    let source = SourceFile(name: path, text: text)
    var overrides = overrides
    if let slash = path.lastIndex(of: "/") { overrides.jobDirectory = String(path[..<slash]) }
    let (job, diagnostics) = Compiler.compile(source, overrides: overrides, check: check, catalog: .standard)
    if !diagnostics.isEmpty { printError(DiagnosticRenderer(color: color.enabled).render(diagnostics, in: source), terminator: "") }
    guard let job else { throw ExitCode(2) }
    return job
}

/// Reads an ASA project, or exits with its error.
func loadProject(_ path: String) throws -> ASAProject {
    do throws(SAQLError) { return try ASAProject.load(path) } catch {
        printError("saql: error: \(error)")
        throw ExitCode(1)
    }
}
