/// A row-level failure while evaluating an expression: a conversion, an overflow, a bad argument.
///
/// It does not stop a job (save ``isFatal``). The operator that hit it skips the row, counts it, and
/// sends it to the dead-letter output when one exists (see README, "Error policy").
package struct EvalError: Error, Sendable, CustomStringConvertible {
    package var message: String
    /// What the dead-letter output records beside the message (a user function's name, message and
    /// arguments), when there is more to say.
    package var detail: Record?
    /// True for the one kind of row error that stops the job: a user function that ran past its
    /// time limit (the job would otherwise hang on it).
    package var isFatal = false
    package init(_ message: String) { self.message = message }
    package var description: String { message }

    package static func conversion(_ v: Value, to type: String) -> EvalError {
        EvalError("cannot convert \(v.typeName) \(preview(v)) to \(type)")
    }

    package static func preview(_ v: Value) -> String {
        switch v {
        case .string(let s): return "'" + (s.count > 40 ? String(s.prefix(40)) + "..." : s) + "'"
        case .bigint(let i): return String(i)
        case .float(let d): return String(d)
        default: return ""
        }
    }
}
