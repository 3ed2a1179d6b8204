#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Planner

/// An I/O failure in a connector, with the path or resource it concerns.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when trying again later may succeed (a locked database, say).
    public var transient = false
    public init(_ message: String, transient: Bool = false) {
        self.message = message
        self.transient = transient
    }
    public var description: String { message }
}
