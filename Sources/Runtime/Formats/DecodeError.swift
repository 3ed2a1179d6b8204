import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A malformed event: what is wrong and where, as a byte offset into the event's text.
public struct DecodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { message }
}
