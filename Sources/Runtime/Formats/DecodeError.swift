import Planner
#if canImport(Glibc)
import Glibc
#endif

/// A malformed event: what is wrong and where, as a byte offset into the event's text.
package struct DecodeError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var offset: Int
    package var description: String { message }
}
