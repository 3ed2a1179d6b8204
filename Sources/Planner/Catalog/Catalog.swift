/// Everything a job can name besides its own inputs, steps and outputs: connectors, scalar
/// functions and aggregates. The compiler reads names only through the catalog, so an embedder or
/// a test extends the language by registering into a copy of the standard one.
package struct Catalog: Sendable {
    package var connectors: ConnectorRegistry
    package var functions: FunctionRegistry
    /// The languages `CREATE FUNCTION` accepts, by lower-case name.
    package var languages: [String: any FunctionLanguage]

    package init(connectors: ConnectorRegistry = ConnectorRegistry(), functions: FunctionRegistry = FunctionRegistry(),
                languages: [any FunctionLanguage] = []) {
        self.connectors = connectors
        self.functions = functions
        self.languages = Dictionary(languages.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { $1 })
    }

    /// Adds a language, replacing one of the same name.
    package mutating func register(_ language: any FunctionLanguage) { languages[language.name.lowercased()] = language }
}
