import Planner

extension Catalog {
    /// Everything built in: the connectors (and, in the binder, the functions and aggregates).
    /// Copy it and register into the copy to extend a job's language.
    public static let standard = Catalog(connectors: ConnectorRegistry([
        FileConnector(), StdoutConnector(), SQLiteConnector(), KafkaConnector(), EmbeddedConnector(),
    ]))
}
