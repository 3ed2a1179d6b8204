/// Everything a job can name besides its own inputs, steps and outputs: connectors, scalar
/// functions and aggregates. The compiler reads names only through the catalog, so an embedder or
/// a test extends the language by registering into a copy of the standard one.
public struct Catalog: Sendable {
    public var connectors: ConnectorRegistry
    public var functions: FunctionRegistry

    public init(connectors: ConnectorRegistry = ConnectorRegistry(), functions: FunctionRegistry = FunctionRegistry()) {
        self.connectors = connectors
        self.functions = functions
    }
}
