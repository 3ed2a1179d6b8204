import Planner

/// A built-in scalar function: one entry in its family's list (``StringFunctions/all`` and the
/// others), holding its name, signature, result type, NULL handling, documentation and kernel.
struct BuiltinFunction: ScalarFunctionDefinition {
    let name: String
    let doc: String
    let signature: FunctionSignature
    private let result: @Sendable ([BoundExpr]) -> DataType
    private let make: @Sendable (CallSite) throws(EvalError) -> ScalarKernel

    /// A function whose kernel depends on its call site (a date part, a constant pattern).
    init(_ name: String, _ signature: FunctionSignature, returns result: @escaping @Sendable ([BoundExpr]) -> DataType, doc: String,
         prepare: @escaping @Sendable (CallSite) throws(EvalError) -> ScalarKernel) {
        self.name = name
        self.doc = doc
        self.signature = signature
        self.result = result
        make = prepare
    }

    /// A function of its argument values alone.
    init(_ name: String, _ signature: FunctionSignature, returns result: @escaping @Sendable ([BoundExpr]) -> DataType, doc: String,
         _ body: @escaping @Sendable ([Value]) throws(EvalError) -> Value) {
        self.init(name, signature, returns: result, doc: doc, prepare: { _ throws(EvalError) in .eager(body) })
    }

    func returnType(_ arguments: [BoundExpr]) -> DataType { result(arguments) }
    func prepare(_ site: CallSite) throws(EvalError) -> ScalarKernel { try make(site) }
}

/// Result types of built-in functions.
enum Returns {
    static func fixed(_ t: DataType) -> @Sendable ([BoundExpr]) -> DataType { { _ in t } }
    /// The first argument's type when it is a number (ABS keeps bigint), else unknown.
    static let numericFirst: @Sendable ([BoundExpr]) -> DataType = {
        let t = $0.first?.type ?? .any
        return t == .bigint || t == .float ? t : .any
    }
    static let sameAsFirst: @Sendable ([BoundExpr]) -> DataType = { $0.first?.type ?? .any }
}

extension FunctionSignature {
    /// `n` arguments of the given kinds.
    static func args(_ kinds: ArgumentKind...) -> FunctionSignature { FunctionSignature(arity: kinds.count...kinds.count, arguments: kinds) }
}

extension Value {
    /// The text of a string argument, converting numbers and datetimes as CAST to nvarchar does.
    @inline(__always)
    func text() throws(EvalError) -> String {
        if case .string(let s) = self { return s }
        guard let s = Conversions.string(self) else { throw EvalError("expected text, found NULL") }
        return s
    }

    @inline(__always)
    func integer() throws(EvalError) -> Int64 {
        guard let i = try Conversions.int64(self) else { throw EvalError("expected a number, found NULL") }
        return i
    }
}
