import Planner

/// `connector = 'dashboard'`: an output that exists to be charted on the live job page
/// (`saql run --ui`), as a Power BI streaming dataset is in ASA. Its rows reach the page through
/// the run's output tap (``RuntimeContext/outputTap``), every row rather than a sample; without
/// the page they are counted and go nowhere.
package struct DashboardConnector: Connector {
    package init() {}
    package var name: String { "dashboard" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? { kind == .output ? [] : nil }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? { DashboardOutput() }
}

/// The live page's chart of an output.
package struct DashboardOutput: SinkEndpoint {
    package init() {}
    package var connector: String { "dashboard" }
    package var explainFields: String { "" }
    /// Every row goes to the page, not a sample.
    package var chartsEveryRow: Bool { true }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter { DashboardWriter() }
}

/// Writes nowhere: the sink's tap hands the rows to the page.
final class DashboardWriter: RowWriter {
    func write(_ row: RowRef, shape: RowShape) throws {}
    func flush() throws {}
    func close() throws {}
}
