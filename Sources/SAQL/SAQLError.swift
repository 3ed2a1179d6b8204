import Foundation
import Planner
import Runtime
import SAQLParser

/// Everything the embedding API throws. Each case says what went wrong and carries what a caller
/// needs to act on it; `description` is the message a person reads.
public enum SAQLError: Error, CustomStringConvertible, Sendable {
    /// The job does not compile: its errors and warnings.
    case compile([CompileDiagnostic])
    /// No input of that name; `known` lists the job's inputs.
    case unknownInput(String, known: [String])
    /// No output of that name delivered to the embedder; `known` lists those that are (outputs the
    /// job binds to a file or a broker are written there, not delivered).
    case unknownOutput(String, known: [String])
    /// An output's rows were already taken by another consumer: each output has one sequence.
    case outputTaken(String)
    /// An event pushed as text that is not valid JSON (or CSV) for its input. It was counted as
    /// malformed and skipped; the job goes on.
    case malformedEvent(input: String, message: String)
    /// The job stopped (a user function ran over its time limit, an output failed): nothing more
    /// can be pushed.
    case jobFailed(String)
    /// Saved state that cannot be used: corrupt, or written for another version of the job.
    case state(String)
    /// The job was finished (``Engine/finish()``): nothing more can be pushed.
    case finished
    /// An input or output could not be opened or written.
    case connector(String)
    /// An ASA project that cannot be read as it stands.
    case project(path: String, String)
    /// A function registered twice, or with a name a query cannot call.
    case invalidFunction(String)

    public var description: String {
        switch self {
        case .compile(let diagnostics): return diagnostics.map(\.rendered).joined()
        case .unknownInput(let name, let known):
            return "the job has no input '\(name)'; inputs are: \(known.joined(separator: ", "))"
        case .unknownOutput(let name, let known):
            return known.isEmpty ? "the job delivers no output '\(name)': it delivers none"
                : "the job delivers no output '\(name)'; it delivers: \(known.joined(separator: ", "))"
        case .outputTaken(let name): return "the rows of output '\(name)' are already being read"
        case .malformedEvent(let input, let message): return "malformed event for input '\(input)': \(message)"
        case .jobFailed(let message): return "the job stopped: \(message)"
        case .state(let message): return "saved state: \(message)"
        case .finished: return "the job has finished: nothing more can be pushed"
        case .connector(let message): return message
        case .project(let path, let message): return "\(path): \(message)"
        case .invalidFunction(let message): return message
        }
    }

    /// The error a failing pipeline call becomes.
    static func wrapping(_ error: any Error) -> SAQLError {
        switch error {
        case let e as SAQLError: return e
        // Messages may quote a `${...}` value back (a client library's configuration error).
        case let e as JobFailure: return .jobFailed(Secrets.redact(e.message))
        case let e as StateError: return .state(Secrets.redact(e.message))
        case let e as ConnectorError: return .connector(Secrets.redact(e.message))
        case let e as DecodeError: return .malformedEvent(input: "", message: Secrets.redact("\(e)"))
        default: return .connector(Secrets.redact("\(error)"))
        }
    }
}
