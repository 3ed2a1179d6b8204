import SAQLParser

/// A bound output: where the rows of `SELECT ... INTO name` go.
package struct OutputBinding: Hashable, Sendable {
    package var name: String
    package var endpoint: any OutputEndpoint
    package var range: SourceRange

    package init(name: String, endpoint: any OutputEndpoint, range: SourceRange = .unknown) {
        self.name = name
        self.endpoint = endpoint
        self.range = range
    }

    package static func == (a: OutputBinding, b: OutputBinding) -> Bool {
        a.name == b.name && AnyHashable(a.endpoint) == AnyHashable(b.endpoint) && a.range == b.range
    }

    package func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(AnyHashable(endpoint))
    }
}
