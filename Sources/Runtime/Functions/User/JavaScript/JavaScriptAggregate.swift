import CJavaScriptCore
import Planner

/// A JavaScript user-defined aggregate: `uda.name(x)`, with ASA's protocol. `new main()` builds
/// one aggregate object per group; it has `init()`, `accumulate(value, timestamp)` and
/// `computeResult()`, and optionally `deaccumulate(value, timestamp)` (ASA's
/// AccumulateDeaccumulate mode: sliding windows then remove values instead of recomputing).
///
/// State in checkpoints is the object's own data, as JSON (`JSON.stringify`); a restored object is
/// a fresh `new main()` with that data assigned back.
struct JavaScriptAggregate: AggregateImplementation, @unchecked Sendable {
    let declaration: UserFunctionDeclaration
    let engine: JavaScriptEngine
    let main: JSObjectRef
    /// True when the aggregate object has `deaccumulate`.
    let retracts: Bool
    /// With `deaccumulate`, hopping windows add each value once and remove it as it leaves.
    var prefersRetraction: Bool { retracts }

    var name: String { declaration.registryName }
    var spelling: String { declaration.callName }
    var doc: String { "JavaScript aggregate from \(declaration.origin)" }
    var identity: String { name + ":" + String(declaration.code.hashValueFNV, radix: 16) }
    var arguments: AggregateArguments {
        .value(numeric: declaration.inputs?.first.map { $0 == .bigint || $0 == .float } ?? false, star: false)
    }
    var needsOrder: Bool { false }
    var receivesEventTime: Bool { true }
    func returnType(_ call: AggregateCall) -> DataType { declaration.output ?? .any }

    /// Checks main's object once, at compile time.
    static func make(_ d: UserFunctionDeclaration, engine: JavaScriptEngine, main: JSObjectRef) -> Result<JavaScriptAggregate, Failure> {
        let probe: JSObjectRef
        do throws(EvalError) { probe = try engine.construct(main, name: d.callName) } catch {
            return .failure(Failure("new main() failed: \(error.message)"))
        }
        for required in ["init", "accumulate", "computeResult"] where engine.method(probe, required) == nil {
            return .failure(Failure("the object main builds has no function \(required)"))
        }
        return .success(JavaScriptAggregate(declaration: d, engine: engine, main: main, retracts: engine.method(probe, "deaccumulate") != nil))
    }

    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    func makeGroupStates(_ call: AggregateCall) -> any GroupAccumulator { JavaScriptGroupStates(self) }

    func makeWindowState(_ call: AggregateCall) -> any WindowAccumulator {
        retracts ? JavaScriptRetractingWindow(self) : JavaScriptRecomputedWindow(self)
    }

    // MARK: one aggregate object

    /// A fresh aggregate object, initialized.
    func newObject() throws(EvalError) -> JavaScriptObject {
        let object = try engine.construct(main, name: declaration.callName)
        let handle = JavaScriptObject(engine, object)
        try invoke(handle, "init", [])
        return handle
    }

    /// `object.method(args...)`; its result.
    @discardableResult
    func invoke(_ object: JavaScriptObject, _ method: String, _ arguments: [Value]) throws(EvalError) -> JSValueRef {
        guard let f = engine.method(object.ref, method) else { throw EvalError("\(declaration.callName) has no function \(method)") }
        let args = arguments.map { engine.jsValue($0) }
        return try args.withUnsafeBufferPointer { buf throws(EvalError) in
            try engine.call(f, this: object.ref, buf, name: "\(declaration.callName).\(method)", describing: { arguments })
        }
    }

    /// The `(value, timestamp)` pair the operators feed (see ``AggregateFunctionDefinition/receivesEventTime``).
    func pair(_ input: Value) -> [Value] {
        guard case .record(let r) = input, r.values.count == 2 else { return [input, .null] }
        return r.values
    }

    func result(_ object: JavaScriptObject) throws(EvalError) -> Value {
        try engine.value(try invoke(object, "computeResult", []), declaration.callName)
    }

    func save(_ object: JavaScriptObject?, into w: inout StateWriter) {
        guard let object, let stringify = engine.stringify else { return w.write(false) }
        var arg: JSValueRef? = object.ref
        var exception: JSValueRef?
        let json = withUnsafePointer(to: &arg) { JSObjectCallAsFunction(engine.context, stringify, nil, 1, $0, &exception) }
        guard exception == nil, let json, JSValueIsString(engine.context, json), let text = engine.string(json) else {
            let why = exception.flatMap { engine.string($0) } ?? "JSON.stringify gave no text"
            w.fail("\(declaration.callName): its state cannot be saved as JSON: \(why)")
            return w.write(false)
        }
        w.write(true)
        w.write(text)
    }

    func restore(from r: inout StateReader) throws(StateError) -> JavaScriptObject? {
        guard try r.readBool() else { return nil }
        let text = try r.readString()
        let object: JavaScriptObject
        do throws(EvalError) { object = try newObject() } catch { throw StateError("\(declaration.callName): \(error.message)") }
        guard let parse = engine.parse else { throw StateError("\(declaration.callName): JSON is not available") }
        var exception: JSValueRef?
        let data = withJSString(text) { s in
            var arg: JSValueRef? = JSValueMakeString(engine.context, s)
            return withUnsafePointer(to: &arg) { JSObjectCallAsFunction(engine.context, parse, nil, 1, $0, &exception) }
        }
        guard exception == nil, let data, let source = JSValueToObject(engine.context, data, nil) else {
            throw StateError("\(declaration.callName): the saved state is not a JSON object")
        }
        // Object.assign(object, data), property by property.
        let names = JSObjectCopyPropertyNames(engine.context, source)
        defer { JSPropertyNameArrayRelease(names) }
        for i in 0..<JSPropertyNameArrayGetCount(names) {
            guard let name = JSPropertyNameArrayGetNameAtIndex(names, i) else { continue }
            let v = JSObjectGetProperty(engine.context, source, name, nil)
            JSObjectSetProperty(engine.context, object.ref, name, v, JSPropertyAttributes(kJSPropertyAttributeNone), nil)
        }
        return object
    }
}

/// A JavaScript object kept alive (protected from the collector) while saql holds it.
final class JavaScriptObject {
    let engine: JavaScriptEngine
    let ref: JSObjectRef

    init(_ engine: JavaScriptEngine, _ ref: JSObjectRef) {
        self.engine = engine
        self.ref = ref
        JSValueProtect(engine.context, ref)
    }

    deinit { JSValueUnprotect(engine.context, ref) }
}

/// One aggregate object per group slot, created at the group's first value.
final class JavaScriptGroupStates: GroupAccumulator {
    private let aggregate: JavaScriptAggregate
    private var objects: [JavaScriptObject?] = []

    init(_ aggregate: JavaScriptAggregate) { self.aggregate = aggregate }

    func grow(to count: Int) {
        if objects.count < count { objects += Array(repeating: nil, count: count - objects.count) }
    }

    func add(_ slot: Int, _ value: Value) throws(EvalError) {
        let object: JavaScriptObject
        if let o = objects[slot] { object = o } else {
            object = try aggregate.newObject()
            objects[slot] = object
        }
        try aggregate.invoke(object, "accumulate", aggregate.pair(value))
    }

    func addRows(_ rows: UnsafeBufferPointer<Int32>, _ slots: UnsafeBufferPointer<Int32>, _ values: UnsafePointer<Value>,
                 stride: Int, errors: inout [EvalError]) {
        for i in 0..<rows.count {
            do throws(EvalError) { try add(Int(slots[i]), values[Int(rows[i]) * stride]) } catch { errors.append(error) }
        }
    }

    func result(_ slot: Int) throws(EvalError) -> Value {
        guard let object = objects[slot] else {
            // A group with no value yet: the result of a fresh object.
            return try aggregate.result(try aggregate.newObject())
        }
        return try aggregate.result(object)
    }

    func reset() {
        for i in objects.indices { objects[i] = nil }
    }

    func save(_ slot: Int, into w: inout StateWriter) { aggregate.save(objects[slot], into: &w) }

    func restore(_ slot: Int, from r: inout StateReader) throws(StateError) { objects[slot] = try aggregate.restore(from: &r) }
}

/// A sliding window over an aggregate with `deaccumulate`: values leave as they arrived.
final class JavaScriptRetractingWindow: WindowAccumulator {
    private let aggregate: JavaScriptAggregate
    private var object: JavaScriptObject?

    init(_ aggregate: JavaScriptAggregate) { self.aggregate = aggregate }

    private func current() throws(EvalError) -> JavaScriptObject {
        if let object { return object }
        let o = try aggregate.newObject()
        object = o
        return o
    }

    func add(_ value: Value) throws(EvalError) { try aggregate.invoke(try current(), "accumulate", aggregate.pair(value)) }

    func removeOldest(_ value: Value) {
        // A failing deaccumulate leaves the object as it is; the next result reports the function's errors.
        guard let object else { return }
        _ = try? aggregate.invoke(object, "deaccumulate", aggregate.pair(value))
    }

    func result(_ values: () -> [Value]) throws(EvalError) -> Value { try aggregate.result(try current()) }
    func save(into w: inout StateWriter) { aggregate.save(object, into: &w) }
    func restore(from r: inout StateReader) throws(StateError) { object = try aggregate.restore(from: &r) }
}

/// A sliding window over an aggregate without `deaccumulate`: a fresh object over the window's
/// values for every result (ASA's AccumulateOnly mode).
final class JavaScriptRecomputedWindow: WindowAccumulator {
    private let aggregate: JavaScriptAggregate

    init(_ aggregate: JavaScriptAggregate) { self.aggregate = aggregate }

    func add(_ value: Value) throws(EvalError) {}
    func removeOldest(_ value: Value) {}

    func result(_ values: () -> [Value]) throws(EvalError) -> Value {
        let object = try aggregate.newObject()
        for v in values() { try aggregate.invoke(object, "accumulate", aggregate.pair(v)) }
        return try aggregate.result(object)
    }

    func save(into w: inout StateWriter) {}
    func restore(from r: inout StateReader) throws(StateError) {}
}
