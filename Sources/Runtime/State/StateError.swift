/// A checkpoint that cannot be used: damaged bytes, or state written by another job or version.
///
/// Restoring never traps on bad bytes: every count, length, tag and version is checked and a
/// failure is thrown as a `StateError` naming what was wrong and, once known, where (the plan node
/// and operator, or the state store's file).
package struct StateError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is.
    package enum Kind: Sendable {
        /// The bytes end before the state does.
        case truncated
        /// The bytes do not decode: a negative or impossible count, an unknown tag, a wrong shape.
        case corrupt
        /// Well formed, but for another job, plan or state version.
        case incompatible
    }

    package var kind: Kind
    package var message: String

    package init(_ message: String, kind: Kind = .corrupt) {
        self.kind = kind
        self.message = message
    }

    /// The same error with `location` (an operator, a file) in front of its message.
    package func at(_ location: String) -> StateError { StateError("\(location): \(message)", kind: kind) }

    package var description: String { message }
}
