import SAQLParser

/// A bound output: where the rows of `SELECT ... INTO name` go.
public struct OutputBinding: Hashable, Sendable {
    public var name: String
    public var endpoint: any OutputEndpoint
    public var range: SourceRange

    public init(name: String, endpoint: any OutputEndpoint, range: SourceRange = .unknown) {
        self.name = name
        self.endpoint = endpoint
        self.range = range
    }

    public static func == (a: OutputBinding, b: OutputBinding) -> Bool {
        a.name == b.name && AnyHashable(a.endpoint) == AnyHashable(b.endpoint) && a.range == b.range
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(AnyHashable(endpoint))
    }
}
