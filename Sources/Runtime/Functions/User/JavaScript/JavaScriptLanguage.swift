import CJavaScriptCore
import Planner
import SAQLParser

/// `CREATE FUNCTION ... WITH (language = 'javascript')`: ASA's JavaScript UDFs and UDAs, run by
/// JavaScriptCore. Each compiled job gets one engine holding all of its functions, compiled once.
struct JavaScriptLanguage: FunctionLanguage {
    var name: String { "javascript" }

    func define(_ declarations: [UserFunctionDeclaration], settings: JobSettings, source: String)
        -> (scalars: [any ScalarFunctionDefinition], aggregates: [any AggregateFunctionDefinition], diagnostics: [Diagnostic]) {
        let engine = JavaScriptEngine(timeout: Double(settings.udfTimeout.ticks) / Double(Timestamp.ticksPerSecond))
        var scalars: [any ScalarFunctionDefinition] = [], aggregates: [any AggregateFunctionDefinition] = []
        var diagnostics: [Diagnostic] = []
        for d in declarations {
            let function: JSObjectRef
            do throws(JavaScriptEngine.CompileError) { function = try engine.compile(d.code) } catch {
                // Inline code: point at the line of the job; a file: name its line.
                let at = error.line.flatMap { d.range(ofCodeLine: $0, in: source) } ?? d.range
                let place = d.codeRange == nil ? error.line.map { " (\(d.origin) line \($0))" } ?? " (\(d.origin))" : ""
                diagnostics.append(.error("SAQL2160", "JavaScript function '\(d.name)' does not compile: \(error.message)\(place)", at: at,
                                          helps: [.init(d.kind == .scalar
                                                        ? "the code defines one function, or several with one named main: function main(x) { return x; }"
                                                        : "a UDA's main builds the aggregate: function main() { this.init = function () {...}; this.accumulate = function (value, timestamp) {...}; this.computeResult = function () {...}; }")]))
                continue
            }
            switch d.kind {
            case .scalar: scalars.append(JavaScriptFunction(declaration: d, engine: engine, function: function))
            case .aggregate:
                switch JavaScriptAggregate.make(d, engine: engine, main: function) {
                case .success(let a): aggregates.append(a)
                case .failure(let failure):
                    diagnostics.append(.error("SAQL2160", "JavaScript aggregate '\(d.name)': \(failure.message)", at: d.range,
                                              helps: [.init("main builds an object with init, accumulate(value, timestamp) and computeResult (and optionally deaccumulate)")]))
                }
            }
        }
        return (scalars, aggregates, diagnostics)
    }
}

/// A JavaScript scalar function: `udf.name(...)`.
struct JavaScriptFunction: ScalarFunctionDefinition, @unchecked Sendable {
    let declaration: UserFunctionDeclaration
    let engine: JavaScriptEngine
    let function: JSObjectRef

    var name: String { declaration.registryName }
    var spelling: String { declaration.callName }
    var doc: String { "JavaScript function from \(declaration.origin)" }
    var identity: String { name + ":" + String(declaration.code.hashValueFNV, radix: 16) }
    /// User code may keep state between calls or read the clock: never folded into a constant.
    var isDeterministic: Bool { false }

    var types: DeclaredTypes { DeclaredTypes(inputs: declaration.inputs, output: declaration.output) }
    var signature: FunctionSignature { types.signature }
    func returnType(_ arguments: [BoundExpr]) -> DataType { types.resultType }

    func prepare(_ site: CallSite) throws(EvalError) -> ScalarKernel {
        let engine = engine, function = function, callName = declaration.callName, types = types
        // One argument buffer per call site, reused for every call.
        let buffer = ArgumentBuffer()
        return .eager { (arguments: [Value]) throws(EvalError) -> Value in
            let values = try types.converted(arguments, name: callName)
            buffer.fill(values, engine)
            let result = try buffer.withArguments { args throws(EvalError) in
                try engine.call(function, args, name: callName, describing: { values })
            }
            return try types.checked(try engine.value(result, callName), name: callName)
        }
    }
}

/// The JavaScript values of one call's arguments, reused from call to call.
final class ArgumentBuffer {
    private var values: [JSValueRef?] = []

    func fill(_ arguments: [Value], _ engine: JavaScriptEngine) {
        values.removeAll(keepingCapacity: true)
        for a in arguments { values.append(engine.jsValue(a)) }
    }

    func withArguments<R>(_ body: (UnsafeBufferPointer<JSValueRef?>) throws(EvalError) -> R) throws(EvalError) -> R {
        let result: Result<R, EvalError> = values.withUnsafeBufferPointer { buf in
            do throws(EvalError) { return .success(try body(buf)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

extension String {
    /// A stable 64-bit FNV-1a hash of the UTF-8 text (Swift's `hashValue` changes per process).
    var hashValueFNV: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
