#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Planner

/// An I/O failure in a connector, with the path or resource it concerns.
package struct ConnectorError: Error, Sendable, CustomStringConvertible {
    package var message: String
    /// True when trying again later may succeed (a locked database, say).
    package var transient = false
    package init(_ message: String, transient: Bool = false) {
        self.message = message
        self.transient = transient
    }
    package var description: String { message }
}
