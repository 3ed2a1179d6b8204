import Planner

/// The declared argument and result types of a user function (JavaScript or Swift), applied the
/// same way for every language: the binder checks each argument against the kind its type takes,
/// arguments convert to their declared types before the call (as CAST converts; a value that does
/// not convert is a row error), and a result of another type than the declared one is a row error.
package struct DeclaredTypes: Sendable {
    /// `nil`: any number of arguments, of any types.
    package var inputs: [DataType]?
    /// `nil` or `.any`: whatever the function returns.
    package var output: DataType?

    /// True when some argument has a declared type to convert to.
    package let converts: Bool
    /// True when results are checked against a declared type.
    package var checksResult: Bool { output.map { $0 != .any } ?? false }

    package init(inputs: [DataType]?, output: DataType?) {
        self.inputs = inputs
        self.output = output
        converts = inputs?.contains { $0 != .any } ?? false
    }

    /// The call shape the binder checks. NULLs reach the function (ASA passes `null`).
    package var signature: FunctionSignature {
        guard let inputs else { return FunctionSignature(arity: 0...255, arguments: [.value], nulls: .passThrough) }
        let kinds: [ArgumentKind] = inputs.map { t in
            switch t {
            case .bigint, .float: return .number
            case .datetime: return .datetime
            case .nvarchar, .bit: return .scalar
            case .any, .record, .array: return .value
            }
        }
        return FunctionSignature(arity: inputs.count...inputs.count, arguments: kinds.isEmpty ? [.value] : kinds, nulls: .passThrough)
    }

    /// The result type the binder gives a call.
    package var resultType: DataType { output ?? .any }

    /// `values` converted to the declared input types (the same array when none is declared).
    package func converted(_ values: [Value], name: String) throws(EvalError) -> [Value] {
        guard converts, let inputs else { return values }
        var out = values
        for i in out.indices where i < inputs.count && inputs[i] != .any && !out[i].isNull {
            do throws(EvalError) { out[i] = try Conversions.cast(out[i], to: inputs[i]) } catch {
                throw EvalError("\(name): argument \(i + 1) is \(out[i].typeName) where its declaration says \(inputs[i]): \(error.message)")
            }
        }
        return out
    }

    /// Checks a result against the declared output type: a bigint is a float where float is
    /// declared; any other difference is an error.
    package func checked(_ v: Value, name: String) throws(EvalError) -> Value {
        guard let output, output != .any, !v.isNull else { return v }
        if output == .float, case .bigint(let i) = v { return .float(Double(i)) }
        guard v.dataType.isSameKind(as: output) else {
            throw EvalError("\(name) returned \(v.typeName) where its declaration says \(output)")
        }
        return v
    }
}

extension DataType {
    /// Equal ignoring a record's known fields.
    func isSameKind(as other: DataType) -> Bool {
        if case .record = self, case .record = other { return true }
        return self == other
    }
}
