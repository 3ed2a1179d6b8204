import Synchronization

/// Values that came from `${NAME}` in a job header: any of them may be a password, and a client
/// library may quote one back in an error (librdkafka prints its configuration's values). Every
/// message saql prints or hands to an embedder passes through ``redact(_:)``.
package enum Secrets {
    private static let values = Mutex<Set<String>>([])

    /// Remembers an expanded value. Values under three characters are not secrets worth hiding and
    /// would garble messages if cut out.
    package static func register(_ value: String) {
        guard value.count >= 3 else { return }
        values.withLock { _ = $0.insert(value) }
    }

    /// The text with every remembered value replaced by `***`, longest first (so one value that
    /// contains another is hidden whole).
    package static func redact(_ text: String) -> String {
        let known = values.withLock { $0 }
        guard !known.isEmpty else { return text }
        var out = text
        for v in known.sorted(by: { $0.count > $1.count }) where out.contains(v) {
            out = out.replacingOccurrences(of: v, with: "***")
        }
        return out
    }
}
