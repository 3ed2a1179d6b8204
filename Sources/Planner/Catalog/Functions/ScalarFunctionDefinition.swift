/// What a scalar function's argument position takes, for the binder's type checks.
package enum ArgumentKind: Sendable, Equatable {
    /// Any scalar: records and arrays are errors (SAQL2014).
    case scalar
    /// A bigint or float (text that may convert is accepted; other types are SAQL2018).
    case number
    /// A datetime or ISO-8601 text (numbers, records and arrays are SAQL2018).
    case datetime
    /// A datetime; in a join, the name of a source stands for its event time (DATEDIFF).
    case eventTime
    /// Any value, records and arrays included.
    case value
}

/// How a function treats NULL arguments.
package enum NullHandling: Sendable {
    /// Any NULL argument gives NULL without calling the kernel (most functions).
    case strict
    /// The kernel sees NULL arguments and decides (CONCAT, COALESCE, GetType).
    case passThrough
}

/// A function's call shape: how many arguments it takes and of which kinds.
package struct FunctionSignature: Sendable {
    /// The number of arguments as written, a leading date part included.
    package var arity: ClosedRange<Int>
    /// The first argument is a date part keyword (`DATEADD(minute, ...)`), fixed at bind time.
    package var takesDatePart: Bool
    /// The kind of each argument after the date part; the last kind repeats for further arguments.
    package var arguments: [ArgumentKind]
    package var nullHandling: NullHandling

    package init(arity: ClosedRange<Int>, datePart: Bool = false, arguments: [ArgumentKind], nulls: NullHandling = .strict) {
        self.arity = arity
        takesDatePart = datePart
        self.arguments = arguments
        nullHandling = nulls
    }

    /// The kind of argument `i` (counted after the date part).
    package func kind(of i: Int) -> ArgumentKind { arguments.isEmpty ? .scalar : arguments[min(i, arguments.count - 1)] }
}

/// What a call site fixes before any row is evaluated.
package struct CallSite: Sendable {
    /// The date part of `DATEADD(minute, ...)`, when the function takes one.
    package var datePart: DatePart?
    /// Each argument's value when it is a literal (a regular expression compiled once, say).
    package var constants: [Value?]

    package init(datePart: DatePart?, constants: [Value?]) {
        self.datePart = datePart
        self.constants = constants
    }
}

/// The evaluation of a function at one call site.
package enum ScalarKernel {
    /// Called with every argument's value; a strict function's kernel never sees NULL.
    case eager(([Value]) throws(EvalError) -> Value)
    /// Called with the argument count and a way to evaluate argument `i` on demand (COALESCE stops
    /// at its first non-NULL argument, so later ones are never evaluated).
    case lazy((Int, (Int) throws(EvalError) -> Value) throws(EvalError) -> Value)
}

/// A scalar function: the one definition of its name, signature, result type, NULL handling,
/// implementation and documentation. The binder, `saql check`'s suggestions, the expression compiler
/// and Grammar.md's function list all read it from the ``FunctionRegistry``.
package protocol ScalarFunctionDefinition: Sendable {
    /// The name as ASA spells it, upper case (lookups ignore case).
    var name: String { get }
    /// One line for the function list in Grammar.md.
    var doc: String { get }
    var signature: FunctionSignature { get }
    /// The result type for these bound arguments (date part excluded).
    func returnType(_ arguments: [BoundExpr]) -> DataType
    /// The kernel for one call site. Throws when a constant argument is invalid (reported as a
    /// row error for every row, as a failing expression would be).
    func prepare(_ site: CallSite) throws(EvalError) -> ScalarKernel
    /// False for functions whose result may differ between calls with the same arguments: they are
    /// never folded into constants.
    var isDeterministic: Bool { get }
    /// What a checkpoint records of the function: its name, and for a user function its code too,
    /// so that changing the code is a changed job.
    var identity: String { get }
    /// The name as its author spelled it (`udf.toCelsius`), for suggestions.
    var spelling: String { get }
}

extension ScalarFunctionDefinition {
    package var isDeterministic: Bool { true }
    package var identity: String { name }
    package var spelling: String { name }
}

/// A function named in a plan: its definition and its call's date part. Two references are equal
/// when they name the same function with the same date part.
package struct FunctionRef: Hashable, Sendable {
    package let definition: any ScalarFunctionDefinition
    package let datePart: DatePart?

    package init(_ definition: any ScalarFunctionDefinition, datePart: DatePart? = nil) {
        self.definition = definition
        self.datePart = datePart
    }

    package var name: String { definition.name }

    package static func == (a: FunctionRef, b: FunctionRef) -> Bool { a.definition.identity == b.definition.identity && a.datePart == b.datePart }
    package func hash(into h: inout Hasher) {
        h.combine(definition.identity)
        h.combine(datePart)
    }
}
