import SAQLParser

/// A bound input: where events come from and how they are read.
public struct InputBinding: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case stream, reference }
    public var name: String
    public var kind: Kind
    /// The connector's bound configuration.
    public var endpoint: any InputEndpoint
    /// Where it was declared, or `.unknown` when bound from the command line.
    public var range: SourceRange
    /// For reference inputs: reload the table this often (wall-clock time); `nil` loads it once.
    public var refresh: TimeSpan?

    public init(name: String, kind: Kind, endpoint: any InputEndpoint, range: SourceRange = .unknown, refresh: TimeSpan? = nil) {
        self.name = name
        self.kind = kind
        self.endpoint = endpoint
        self.range = range
        self.refresh = refresh
    }

    public static func == (a: InputBinding, b: InputBinding) -> Bool {
        a.name == b.name && a.kind == b.kind && AnyHashable(a.endpoint) == AnyHashable(b.endpoint) && a.range == b.range
            && a.refresh == b.refresh
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(AnyHashable(endpoint))
    }
}
