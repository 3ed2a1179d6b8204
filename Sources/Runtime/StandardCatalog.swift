import Planner

extension Catalog {
    /// Everything built in: the connectors, scalar functions and aggregates. Copy it and register
    /// into the copy to extend a job's language.
    package static let standard = Catalog(
        connectors: ConnectorRegistry([FileConnector(), StdoutConnector(), SQLiteConnector(), PostgresConnector(), KafkaConnector(), MQTTConnector(), HTTPConnector(), EmbeddedConnector(), DashboardConnector()]),
        functions: FunctionRegistry(
            scalars: StringFunctions.all + MathFunctions.all + DateFunctions.all + GeoFunctions.all + GeneralFunctions.all,
            aggregates: BuiltinAggregates.all),
        languages: [JavaScriptLanguage()])
}
