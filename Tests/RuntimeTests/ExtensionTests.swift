import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

// Extending saql from outside Sources/: a connector, a scalar function and an aggregate, each one
// definition registered into a copy of the standard catalog (see CONTRIBUTING.md).

/// `connector = 'counter'`: an input of `count` events `{"n": 1}`, `{"n": 2}`, ... one second apart.
struct CounterConnector: Connector {
    var name: String { "counter" }

    func options(for kind: EndpointKind) -> [OptionSpec]? {
        kind == .input ? [OptionSpec("count", .integer, default: "3", "how many events")] : nil
    }

    func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let text = options["count"]?.value ?? "3" as String?, let n = Int(text), n >= 0 else {
            options.error("SAQL3099", "count must be a whole number", at: "count")
            return nil
        }
        return CounterInput(count: n)
    }
}

struct CounterInput: StreamSourceEndpoint {
    var count: Int
    var connector: String { "counter" }
    var explainFields: String { "count=\(count)" }

    func makeSource(_ c: SourceContext) throws -> any EventSource { CounterSource(input: c.input, count: count, layout: c.layout) }
}

final class CounterSource: EventSource {
    let input: String
    private let count: Int
    private let layout: InputLayout
    private var next = 1

    init(input: String, count: Int, layout: InputLayout) {
        self.input = input
        self.count = count
        self.layout = layout
    }

    func nextBatch(maxRows: Int) throws -> EventBatch? {
        guard next <= count else { return nil }
        var batch = EventBatch(width: layout.schema.columns.count)
        while next <= count && batch.count < maxRows {
            var row = [Value](repeating: .null, count: batch.width)
            if let i = layout.fields.firstIndex(of: "n") { row[layout.column(ofField: i)] = .bigint(Int64(next)) }
            batch.append(row, time: 0)
            batch.arrivals.append(Timestamp(year: 2024, month: 1, day: 1).ticks + Int64(next) * Timestamp.ticksPerSecond)
            next += 1
        }
        return batch
    }

    var position: [UInt8] { [UInt8(truncatingIfNeeded: next)] }
    func restore(position: [UInt8]) throws { next = Int(position.first ?? 1) }
}

/// `TRIPLE(x)`: three times a number.
struct TripleFunction: ScalarFunctionDefinition {
    var name: String { "TRIPLE" }
    var doc: String { "three times the value" }
    var signature: FunctionSignature { FunctionSignature(arity: 1...1, arguments: [.number]) }
    func returnType(_ arguments: [BoundExpr]) -> DataType { arguments.first?.type == .bigint ? .bigint : .float }
    func prepare(_ site: CallSite) throws(EvalError) -> ScalarKernel {
        .eager { v throws(EvalError) in
            if case .bigint(let i) = v[0] { return .bigint(i &* 3) }
            guard let d = try Conversions.double(v[0]) else { return .null }
            return .float(d * 3)
        }
    }
}

/// `PRODUCT(x)`: the product of the values; retractable (division), so sliding windows keep it up
/// to date instead of recomputing.
struct ProductAggregate: StatefulAggregate {
    typealias State = ProductState
    var name: String { "PRODUCT" }
    var doc: String { "the product of the values" }
    var arguments: AggregateArguments { .value(numeric: true, star: false) }
    var needsOrder: Bool { false }
    func returnType(_ call: AggregateCall) -> DataType { .float }
}

struct ProductState: RetractableAggregateState {
    var product = 1.0, count = 0
    init(_ call: AggregateCall) {}
    mutating func add(_ value: Value) throws(EvalError) {
        guard let d = try Conversions.double(value) else { return }
        guard d != 0 else { throw EvalError("PRODUCT takes no zeros (it could not retract them)") }
        product *= d
        count += 1
    }
    mutating func retractOldest(_ value: Value) {
        guard let d = try? Conversions.double(value), d != 0 else { return }
        product /= d
        count -= 1
    }
    func result() -> Value { count == 0 ? .null : .float(product) }
    func save(into w: inout StateWriter) { w.write(product); w.write(count) }
    mutating func restore(from r: inout StateReader) throws(StateError) {
        product = try r.readDouble()
        count = try r.readInt()
    }
}

struct ExtensionTests {
    static var catalog: Catalog {
        var c = Catalog.standard
        c.connectors.register(CounterConnector())
        c.functions.register(TripleFunction())
        c.functions.register(ProductAggregate())
        return c
    }

    func run(_ job: String, catalog: Catalog = ExtensionTests.catalog) throws -> [Record] {
        var overrides = BindingOverrides()
        overrides.embedded = true
        let source = SourceFile(name: "job.saql", text: job)
        let (compiled, diagnostics) = Compiler.compile(source, overrides: overrides, check: .complete, catalog: catalog)
        let job = try #require(compiled, "\(DiagnosticRenderer().render(diagnostics, in: source))")
        var rows: [Record] = []
        var options = PipelineOptions(runStart: 0)
        options.onRow = { _, record, _ in rows.append(record) }
        try Pipeline(plan: job.physical, settings: job.settings, options: options).runFileInputs()
        return rows
    }

    @Test func aConnectorFunctionAndAggregateFromOutsideSources() throws {
        let rows = try run("""
            CREATE INPUT Numbers WITH (connector = 'counter', count = '4');
            SELECT n, TRIPLE(n) AS t INTO Tripled FROM Numbers
            """)
        #expect(rows == (1...4).map { Record(["n": .bigint(Int64($0)), "t": .bigint(Int64($0) * 3)]) })
    }

    @Test func aTestAggregateInTumblingAndSlidingWindows() throws {
        let tumbling = try run("""
            CREATE INPUT Numbers WITH (connector = 'counter', count = '4');
            SELECT PRODUCT(n) AS p INTO Out FROM Numbers GROUP BY TumblingWindow(second, 10)
            """)
        #expect(tumbling == [Record(["p": .float(24)])])
        let sliding = try run("""
            CREATE INPUT Numbers WITH (connector = 'counter', count = '4');
            SELECT PRODUCT(n) AS p INTO Out FROM Numbers GROUP BY SlidingWindow(second, 2)
            """)
        // Windows (t-2s, t]: {1}, {1,2}, {2,3}, {3,4}, then {4} as 3 leaves, then empty (no row).
        #expect(sliding.map { $0["p"] } == [1, 2, 6, 12, 4].map { .float($0) })
    }

    @Test func checkAndExplainKnowTheExtensions() throws {
        let source = SourceFile(name: "job.saql", text: """
            CREATE INPUT Numbers WITH (connector = 'counter', count = 'x');
            SELECT TRIPPLE(n) AS t INTO Out FROM Numbers
            """)
        let diagnostics = Compiler.compile(source, catalog: Self.catalog).diagnostics
        #expect(diagnostics.contains { $0.code == "SAQL3099" })
        #expect(diagnostics.contains { $0.code == "SAQL2005" && $0.helps.contains { $0.message.contains("did you mean 'TRIPLE'") } })
        let good = SourceFile(name: "job.saql", text: "CREATE INPUT Numbers WITH (connector = 'counter');\nSELECT TRIPLE(n) AS t INTO Out FROM Numbers")
        let job = try #require(Compiler.compile(good, catalog: Self.catalog).job)
        #expect(Explain.physical(job.physical).contains("Source: input=Numbers, connector=counter, count=3"))
        #expect(Explain.physical(job.physical).contains("TRIPLE(n)"))
        // Without the registration the names are unknown.
        #expect(Compiler.compile(good, catalog: .standard).diagnostics.contains { $0.code == "SAQL3011" })
    }
}
