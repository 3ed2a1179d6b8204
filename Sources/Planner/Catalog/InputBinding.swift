import SAQLParser

/// A bound input: where events come from and how they are read.
package struct InputBinding: Hashable, Sendable {
    package enum Kind: String, Hashable, Sendable { case stream, reference }
    package var name: String
    package var kind: Kind
    /// The connector's bound configuration.
    package var endpoint: any InputEndpoint
    /// Where it was declared, or `.unknown` when bound from the command line.
    package var range: SourceRange
    /// For reference inputs: reload the table this often (wall-clock time); `nil` loads it once.
    package var refresh: TimeSpan?

    package init(name: String, kind: Kind, endpoint: any InputEndpoint, range: SourceRange = .unknown, refresh: TimeSpan? = nil) {
        self.name = name
        self.kind = kind
        self.endpoint = endpoint
        self.range = range
        self.refresh = refresh
    }

    package static func == (a: InputBinding, b: InputBinding) -> Bool {
        a.name == b.name && a.kind == b.kind && AnyHashable(a.endpoint) == AnyHashable(b.endpoint) && a.range == b.range
            && a.refresh == b.refresh
    }

    package func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(AnyHashable(endpoint))
    }
}
