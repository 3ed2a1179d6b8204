/// The argument forms of an aggregate; the binder checks a call against its form.
package enum AggregateArguments: Sendable, Equatable {
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
package protocol AggregateFunctionDefinition: Sendable {
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
    /// The name as its author spelled it (`uda.spread`), for suggestions.
    var spelling: String { get }
}

extension AggregateFunctionDefinition {
    package var receivesEventTime: Bool { false }
    package var identity: String { name }
    package var spelling: String { name }
}

/// An aggregate named in a plan: compared and hashed by its identity (its name, and a user aggregate's code).
package struct AggregateFunction: Hashable, Sendable {
    package let definition: any AggregateFunctionDefinition

    package init(_ definition: any AggregateFunctionDefinition) { self.definition = definition }

    package var name: String { definition.name }

    package static func == (a: AggregateFunction, b: AggregateFunction) -> Bool { a.definition.identity == b.definition.identity }
    package func hash(into h: inout Hasher) { h.combine(definition.identity) }
}

/// The scalar functions and aggregates a job can call, by upper-case name. The runtime's standard
/// catalog registers the built-ins; embedders, user-defined functions and tests register more.
package struct FunctionRegistry: Sendable {
    private(set) var scalars: [String: any ScalarFunctionDefinition] = [:]
    private(set) var aggregates: [String: any AggregateFunctionDefinition] = [:]

    package init(scalars: [any ScalarFunctionDefinition] = [], aggregates: [any AggregateFunctionDefinition] = []) {
        for f in scalars { register(f) }
        for a in aggregates { register(a) }
    }

    /// Adds a scalar function, replacing one of the same name.
    package mutating func register(_ f: any ScalarFunctionDefinition) { scalars[f.name.uppercased()] = f }
    /// Adds an aggregate, replacing one of the same name.
    package mutating func register(_ a: any AggregateFunctionDefinition) { aggregates[a.name.uppercased()] = a }

    package func scalar(named name: String) -> (any ScalarFunctionDefinition)? { scalars[name.uppercased()] }
    package func aggregate(named name: String) -> (any AggregateFunctionDefinition)? { aggregates[name.uppercased()] }

    /// Every scalar function and every aggregate, by name.
    package var allScalars: [any ScalarFunctionDefinition] { scalars.keys.sorted().compactMap { scalars[$0] } }
    package var allAggregates: [any AggregateFunctionDefinition] { aggregates.keys.sorted().compactMap { aggregates[$0] } }
}
