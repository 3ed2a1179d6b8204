/// A checkpoint that cannot be used: damaged bytes, or state written by another job or version.
///
/// Restoring never traps on bad bytes: every count, length, tag and version is checked and a
/// failure is thrown as a `StateError` naming what was wrong and, once known, where (the plan node
/// and operator, or the state store's file).
public struct StateError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: Sendable {
        /// The bytes end before the state does.
        case truncated
        /// The bytes do not decode: a negative or impossible count, an unknown tag, a wrong shape.
        case corrupt
        /// Well formed, but for another job, plan or state version.
        case incompatible
    }

    public var kind: Kind
    public var message: String

    public init(_ message: String, kind: Kind = .corrupt) {
        self.kind = kind
        self.message = message
    }

    /// The same error with `location` (an operator, a file) in front of its message.
    public func at(_ location: String) -> StateError { StateError("\(location): \(message)", kind: kind) }

    public var description: String { message }
}
