#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Planner

/// How a file output handles a failed write (ASA's output error policy).
struct WriteErrorHandling {
    let policy: OutputErrorPolicy
    let output: String
    let context: RuntimeContext
}
