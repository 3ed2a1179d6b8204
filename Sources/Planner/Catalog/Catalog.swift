/// Everything a job can name besides its own inputs, steps and outputs: connectors (and, in the
/// binder, functions and aggregates). The compiler reads names only through the catalog, so an
/// embedder or a test extends the language by registering into a copy of the standard one.
public struct Catalog: Sendable {
    public var connectors: ConnectorRegistry

    public init(connectors: ConnectorRegistry = ConnectorRegistry()) {
        self.connectors = connectors
    }
}
