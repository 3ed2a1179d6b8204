/// The argument forms of an aggregate; the binder checks a call against its form.
public enum AggregateArguments: Sendable, Equatable {
    /// One expression: `SUM(x)`. `numeric`: it must be a number (SAQL2013). `star`: `COUNT(*)`, `COUNT()`,
    /// `COUNT(input)` and `COUNT(DISTINCT ...)` are accepted too.
    case value(numeric: Bool, star: Bool)
    /// An optional expression, the whole event when absent or `*`: `Collect()`, `TopOne()`.
    case optionalRow
    /// A positive integer n, then an optional expression: `CollectTop(n[, x])`.
    case countAndOptionalRow
    /// A fraction between 0 and 1, with one ordering expression: `PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)`.
    case fraction
}

/// An aggregate function: the one definition of its name, argument form, ordering, result type and
/// documentation. The runtime adopts `AggregateImplementation` on the same type to give its state.
public protocol AggregateFunctionDefinition: Sendable {
    /// The name as ASA spells it, upper case.
    var name: String { get }
    var doc: String { get }
    var arguments: AggregateArguments { get }
    /// Ordered by `OVER (ORDER BY ...)` or `WITHIN GROUP (ORDER BY ...)`, which it requires.
    var needsOrder: Bool { get }
    /// The result type of a bound call.
    func returnType(_ call: AggregateCall) -> DataType
    /// True when each value comes with its event time (a JavaScript UDA's `accumulate(value,
    /// timestamp)`): the operators then feed a record of the argument and `System.Timestamp()`.
    var receivesEventTime: Bool { get }
    /// What a checkpoint records of the aggregate: its name, and for a user aggregate its code too.
    var identity: String { get }
}

extension AggregateFunctionDefinition {
    public var receivesEventTime: Bool { false }
    public var identity: String { name }
}

/// An aggregate named in a plan: compared and hashed by its identity (its name, and a user aggregate's code).
public struct AggregateFunction: Hashable, Sendable {
    public let definition: any AggregateFunctionDefinition

    public init(_ definition: any AggregateFunctionDefinition) { self.definition = definition }

    public var name: String { definition.name }

    public static func == (a: AggregateFunction, b: AggregateFunction) -> Bool { a.definition.identity == b.definition.identity }
    public func hash(into h: inout Hasher) { h.combine(definition.identity) }
}

/// The scalar functions and aggregates a job can call, by upper-case name. The runtime's standard
/// catalog registers the built-ins; embedders, user-defined functions and tests register more.
public struct FunctionRegistry: Sendable {
    private(set) var scalars: [String: any ScalarFunctionDefinition] = [:]
    private(set) var aggregates: [String: any AggregateFunctionDefinition] = [:]

    public init(scalars: [any ScalarFunctionDefinition] = [], aggregates: [any AggregateFunctionDefinition] = []) {
        for f in scalars { register(f) }
        for a in aggregates { register(a) }
    }

    /// Adds a scalar function, replacing one of the same name.
    public mutating func register(_ f: any ScalarFunctionDefinition) { scalars[f.name.uppercased()] = f }
    /// Adds an aggregate, replacing one of the same name.
    public mutating func register(_ a: any AggregateFunctionDefinition) { aggregates[a.name.uppercased()] = a }

    public func scalar(named name: String) -> (any ScalarFunctionDefinition)? { scalars[name.uppercased()] }
    public func aggregate(named name: String) -> (any AggregateFunctionDefinition)? { aggregates[name.uppercased()] }

    /// Every scalar function and every aggregate, by name.
    public var allScalars: [any ScalarFunctionDefinition] { scalars.keys.sorted().compactMap { scalars[$0] } }
    public var allAggregates: [any AggregateFunctionDefinition] { aggregates.keys.sorted().compactMap { aggregates[$0] } }
}
