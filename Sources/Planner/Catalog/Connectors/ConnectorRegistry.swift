/// The connectors a job can name, by name. The runtime's standard catalog registers the built-in
/// ones; an embedder or a test registers its own before compiling.
package struct ConnectorRegistry: Sendable {
    private var byName: [String: any Connector] = [:]

    package init(_ connectors: [any Connector] = []) {
        for c in connectors { register(c) }
    }

    /// Adds a connector, replacing one of the same name.
    package mutating func register(_ connector: any Connector) { byName[connector.name.lowercased()] = connector }

    package func connector(named name: String) -> (any Connector)? { byName[name.lowercased()] }

    /// Names of the connectors that can serve `kind` (inputs: either kind of input), sorted, for
    /// "did you mean" and help lines.
    package func names(for kind: EndpointKind) -> [String] {
        let kinds: [EndpointKind] = kind == .output ? [.output] : [.input, .referenceInput]
        return byName.values.filter { c in kinds.contains { c.options(for: $0) != nil } }.map(\.name).sorted()
    }

    /// Every registered connector, by name.
    package var all: [any Connector] { byName.keys.sorted().compactMap { byName[$0] } }
}
