import Planner

/// Record and array access helpers.
package enum Records {
    /// A record's field, ignoring case; NULL when absent or when `v` is not a record.
    @inline(__always)
    package static func field(_ v: Value, _ name: String) -> Value {
        if case .record(let r) = v { return r[name] ?? .null }
        return .null
    }
}
