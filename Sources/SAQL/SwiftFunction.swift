import Foundation
import Planner
import Runtime
import SAQLParser

/// A function written in Swift that a job's query calls: a scalar function as `udf.name(...)`,
/// an aggregate as `uda.name(...)`, as ASA calls its user functions. Registered through
/// ``Engine/Options/functions`` before the job compiles, so the binder checks calls against the
/// declared argument types and gives calls the declared result type.
///
/// Declared argument types convert each argument before the call as CAST would (a value that
/// does not convert is a row error); NULL arguments reach the function as ``Value/null``. A thrown
/// error, or a result of another type than the declared one, is a row error: the row is skipped,
/// counted in ``EngineCounters/evaluationErrors``, and the job goes on.
public struct SwiftFunction: Sendable {
    enum Definition: Sendable {
        case scalar(any ScalarFunctionDefinition)
        case aggregate(any AggregateFunctionDefinition)
    }
    let name: String
    let definition: Definition

    /// A scalar function.
    /// - Parameters:
    ///   - arguments: the argument types (`.any` for either); `nil`: any number of any types.
    ///   - returns: the result type; `.any`: whatever the function returns.
    ///   - deterministic: false when a call may give another result for the same arguments (the
    ///     planner then never folds it into a constant).
    public static func scalar(_ name: String, arguments: [DataType]? = nil, returns: DataType = .any, deterministic: Bool = true,
                              _ body: @escaping @Sendable ([Value]) throws -> Value) -> SwiftFunction {
        SwiftFunction(name: name, definition: .scalar(SwiftScalar(name: name, types: DeclaredTypes(inputs: arguments, output: returns),
                                                                  deterministic: deterministic, body: body)))
    }

    /// An aggregate, whose state is `A`: one value per group and window, saved in checkpoints
    /// through its `Codable` form. Adopt ``RetractableSwiftAggregate`` to let sliding windows
    /// remove leaving values instead of aggregating each window again.
    /// - Parameter numeric: the argument must be a number (the binder checks it).
    public static func aggregate<A: SwiftAggregate>(_ name: String, _ state: A.Type, numeric: Bool = false,
                                                    returns: DataType = .any) -> SwiftFunction {
        SwiftFunction(name: name, definition: .aggregate(SwiftAggregateFunction<A>(callName: "uda." + name, numeric: numeric, output: returns)))
    }

    /// The standard catalog with `functions` added, each checked once.
    package static func catalog(with functions: [SwiftFunction]) throws(SAQLError) -> Catalog {
        var catalog = Catalog.standard
        var seen: Set<String> = []
        for f in functions {
            guard let first = f.name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
                  f.name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }) else {
                throw .invalidFunction("'\(f.name)' is not a name a query can call: use letters, digits and '_'")
            }
            switch f.definition {
            case .scalar(let d):
                guard seen.insert(d.name).inserted else { throw .invalidFunction("udf.\(f.name) is registered twice") }
                catalog.functions.register(d)
            case .aggregate(let d):
                guard seen.insert(d.name).inserted else { throw .invalidFunction("uda.\(f.name) is registered twice") }
                catalog.functions.register(d)
            }
        }
        return catalog
    }
}

/// The state of a Swift aggregate over one group: starts empty, takes each non-NULL value, and
/// gives its result at any time. Saved in checkpoints through `Codable`.
public protocol SwiftAggregate: Codable, Sendable {
    init()
    /// Adds a value (never NULL). A thrown error skips the row (a row error).
    mutating func add(_ value: Value) throws
    /// The aggregate of the values so far; NULL for none, if that is its meaning.
    func result() -> Value
}

/// A Swift aggregate that can remove its oldest value (values leave in the order they came).
public protocol RetractableSwiftAggregate: SwiftAggregate {
    mutating func retractOldest(_ value: Value)
}

/// A Swift closure as a scalar function definition: `UDF.NAME`.
struct SwiftScalar: ScalarFunctionDefinition {
    let callName: String
    let types: DeclaredTypes
    let deterministic: Bool
    let body: @Sendable ([Value]) throws -> Value

    init(name: String, types: DeclaredTypes, deterministic: Bool, body: @escaping @Sendable ([Value]) throws -> Value) {
        callName = "udf." + name
        self.types = types
        self.deterministic = deterministic
        self.body = body
    }

    var name: String { callName.uppercased() }
    var spelling: String { callName }
    var doc: String { "Swift function" }
    var signature: FunctionSignature { types.signature }
    var isDeterministic: Bool { deterministic }
    /// A closure has no text to hash: checkpoints record its name and declared types.
    var identity: String { name + ":swift:" + (types.inputs?.map(\.description).joined(separator: ",") ?? "*") + "->" + types.resultType.description }
    func returnType(_ arguments: [BoundExpr]) -> DataType { types.resultType }

    func prepare(_ site: CallSite) throws(EvalError) -> ScalarKernel {
        let body = body, types = types, callName = callName
        // Without declared types, nothing but the call itself.
        if !types.converts && !types.checksResult {
            return .eager { (arguments: [Value]) throws(EvalError) -> Value in
                do { return try body(arguments) } catch { throw EvalError("\(callName): \(error)") }
            }
        }
        return .eager { (arguments: [Value]) throws(EvalError) -> Value in
            let values = try types.converted(arguments, name: callName)
            let result: Value
            do { result = try body(values) } catch { throw EvalError("\(callName): \(error)") }
            return try types.checked(result, name: callName)
        }
    }
}

/// A ``SwiftAggregate`` type as an aggregate definition: `UDA.NAME`, in every window kind.
struct SwiftAggregateFunction<A: SwiftAggregate>: StatefulAggregate {
    typealias State = SwiftAggregateState<A>
    let callName: String
    let numeric: Bool
    let output: DataType

    var name: String { callName.uppercased() }
    var spelling: String { callName }
    var doc: String { "Swift aggregate \(A.self)" }
    var arguments: AggregateArguments { .value(numeric: numeric, star: false) }
    var needsOrder: Bool { false }
    var identity: String { name + ":swift:" + String(describing: A.self) }
    func returnType(_ call: AggregateCall) -> DataType { output }
}

/// Adapts a ``SwiftAggregate`` to the runtime's aggregate state.
struct SwiftAggregateState<A: SwiftAggregate>: AggregateState {
    var state = A()
    let callName: String

    init(_ call: AggregateCall) { callName = call.function.name.lowercased() }

    mutating func add(_ value: Value) throws(EvalError) {
        do { try state.add(value) } catch { throw EvalError("\(callName): \(error)") }
    }

    func result() -> Value { state.result() }

    func save(into w: inout StateWriter) {
        do { w.write(bytes: Array(try JSONEncoder().encode(state))) } catch {
            w.fail("\(callName): its state cannot be encoded: \(error)")
            w.write(bytes: [])
        }
    }

    mutating func restore(from r: inout StateReader) throws(StateError) {
        let bytes = try r.readBytes()
        do { state = try JSONDecoder().decode(A.self, from: Data(bytes)) } catch {
            throw StateError("\(callName): the saved state does not decode: \(error)")
        }
    }
}

extension SwiftAggregateState: RetractableAggregateState where A: RetractableSwiftAggregate {
    mutating func retractOldest(_ value: Value) { state.retractOldest(value) }
}
