import CJavaScriptCore
import Foundation
import Planner
import Synchronization

/// One JavaScriptCore virtual machine and context for one compiled job: every JavaScript function
/// of the job is compiled into it once, and every call of them goes through it.
///
/// **Threads.** JavaScriptCore takes its own lock on every API call, so the engine may be called
/// from any thread; a job's pipelines run on one thread, so calls do not contend.
///
/// **Time limit.** Each call may run `timeout` seconds of CPU time; a call that runs longer is
/// terminated, and the engine then refuses every further call: the job stops with an error that
/// names the function (``EvalError/isFatal``), instead of hanging.
final class JavaScriptEngine: @unchecked Sendable {
    let group: JSContextGroupRef
    let context: JSGlobalContextRef
    let timeout: Double
    /// Set (once) when a call hit the time limit; `hasStopped` is its cheap per-call check.
    private let stopped = Mutex<String?>(nil)
    private let hasStopped = Atomic<Bool>(false)
    /// The JSON object's `stringify` and `parse`, for UDA state in checkpoints.
    private(set) var stringify: JSObjectRef?
    private(set) var parse: JSObjectRef?

    init(timeout: Double) {
        group = JSContextGroupCreate()
        context = JSGlobalContextCreateInGroup(group, nil)
        self.timeout = timeout
        JSContextGroupSetExecutionTimeLimit(group, timeout, { _, _ in true }, nil)
        stringify = global(path: ["JSON", "stringify"])
        parse = global(path: ["JSON", "parse"])
    }

    deinit {
        for f in [stringify, parse] { if let f { JSValueUnprotect(context, f) } }
        JSGlobalContextRelease(context)
        JSContextGroupRelease(group)
    }

    /// A protected reference to `globalThis.a.b...`.
    private func global(path: [String]) -> JSObjectRef? {
        var value: JSValueRef? = JSContextGetGlobalObject(context)
        for name in path {
            guard let object = value.flatMap({ JSValueToObject(context, $0, nil) }) else { return nil }
            value = withJSString(name) { JSObjectGetProperty(context, object, $0, nil) }
        }
        guard let object = value.flatMap({ JSValueToObject(context, $0, nil) }) else { return nil }
        JSValueProtect(context, object)
        return object
    }

    // MARK: compiling

    /// A problem in a function's code, with the line JavaScriptCore reports (1-based), if any.
    struct CompileError: Error {
        var message: String
        var line: Int?
    }

    /// Compiles a script into the function saql calls: `main` when the script defines it, else the
    /// script's one top-level function (`function hex2Int(x) {...}`, or an anonymous function).
    func compile(_ script: String) throws(CompileError) -> JSObjectRef {
        // A single function, declared or anonymous, is an expression in parentheses.
        if let f = try? evaluateFunction("(" + script + "\n)") { return f }
        // Several statements: run them in a scope of their own and take `main`.
        let wrapped = "(function(){" + script + "\n;return typeof main === 'function' ? main : undefined;})()"
        do {
            if let f = try evaluateFunction(wrapped) { return f }
        } catch {
            throw error
        }
        throw CompileError(message: "the code defines no function main and is not a single function", line: nil)
    }

    /// Evaluates `source`; the function it gives (protected), nil when it gives something else.
    private func evaluateFunction(_ source: String) throws(CompileError) -> JSObjectRef? {
        var exception: JSValueRef?
        let result = withJSString(source) { JSEvaluateScript(context, $0, nil, nil, 1, &exception) }
        if let exception { throw compileError(exception) }
        guard let result, let f = JSValueToObject(context, result, nil), JSObjectIsFunction(context, f) else { return nil }
        JSValueProtect(context, f)
        return f
    }

    private func compileError(_ exception: JSValueRef) -> CompileError {
        let message = string(exception) ?? "syntax error"
        var line: Int?
        if let object = JSValueToObject(context, exception, nil) {
            let v = withJSString("line") { JSObjectGetProperty(context, object, $0, nil) }
            if let v, JSValueIsNumber(context, v) { line = Int(JSValueToNumber(context, v, nil)) }
        }
        return CompileError(message: message, line: line)
    }

    // MARK: calling

    /// Calls `function` with `arguments` (as `this`: `thisObject`, or the global object); a
    /// thrown exception or the time limit is an ``EvalError`` naming `name`.
    func call(_ function: JSObjectRef, this thisObject: JSObjectRef? = nil, _ arguments: UnsafeBufferPointer<JSValueRef?>,
              name: String, describing values: () -> [Value]) throws(EvalError) -> JSValueRef {
        if hasStopped.load(ordering: .relaxed), let reason = stopped.withLock({ $0 }) { throw EvalError.fatal(reason) }
        var exception: JSValueRef?
        let result = JSObjectCallAsFunction(context, function, thisObject, arguments.count, arguments.baseAddress, &exception)
        return try checked(result, exception, name: name, describing: values)
    }

    /// `new function()`: a UDA's aggregate object.
    func construct(_ function: JSObjectRef, name: String) throws(EvalError) -> JSObjectRef {
        if hasStopped.load(ordering: .relaxed), let reason = stopped.withLock({ $0 }) { throw EvalError.fatal(reason) }
        var exception: JSValueRef?
        let object = JSObjectCallAsConstructor(context, function, 0, nil, &exception)
        let result = try checked(object, exception, name: name, describing: { [] })
        guard let o = JSValueToObject(context, result, nil) else { throw EvalError("\(name): main did not build an object") }
        return o
    }

    private func checked(_ result: JSValueRef?, _ exception: JSValueRef?, name: String, describing values: () -> [Value]) throws(EvalError) -> JSValueRef {
        if let exception {
            let message = string(exception) ?? "exception"
            if isTermination(message) {
                let reason = "\(name) ran longer than udf_timeout (\(timeout) s): the job stops"
                stopped.withLock { if $0 == nil { $0 = reason } }
                hasStopped.store(true, ordering: .relaxed)
                throw EvalError.fatal(reason)
            }
            throw EvalError.userCode(name, message: message, arguments: values())
        }
        guard let result else { throw EvalError("\(name): JavaScriptCore returned no value") }
        return result
    }

    /// The exception JavaScriptCore raises when the time limit ends a call.
    private func isTermination(_ message: String) -> Bool {
        message.contains("JavaScript execution terminated") || message.contains("execution exceeded timeout")
            || message.contains("Execution timed out")
    }

    /// A property of an object: a function it holds (protected), or nil.
    func method(_ object: JSObjectRef, _ name: String) -> JSObjectRef? {
        let v = withJSString(name) { JSObjectGetProperty(context, object, $0, nil) }
        guard let v, let f = JSValueToObject(context, v, nil), JSObjectIsFunction(context, f) else { return nil }
        return f
    }

    // MARK: strings

    /// The text of a JavaScript value (its `toString()`).
    func string(_ value: JSValueRef) -> String? {
        guard let s = JSValueToStringCopy(context, value, nil) else { return nil }
        defer { JSStringRelease(s) }
        return swiftString(s)
    }

    func swiftString(_ s: JSStringRef) -> String {
        let n = JSStringGetLength(s)
        guard n > 0, let chars = JSStringGetCharactersPtr(s) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: chars, count: n), as: UTF16.self)
    }
}

/// Calls `body` with a JavaScript string of `text`, released afterwards.
@inline(__always)
func withJSString<R>(_ text: String, _ body: (JSStringRef) -> R) -> R {
    let s = text.utf16.withContiguousStorageIfAvailable { JSStringCreateWithCharacters($0.baseAddress, $0.count) }
        ?? Array(text.utf16).withUnsafeBufferPointer { JSStringCreateWithCharacters($0.baseAddress, $0.count) }
    guard let s else { fatalError("JavaScriptCore could not allocate a string (out of memory)") }
    defer { JSStringRelease(s) }
    return body(s)
}

extension EvalError {
    /// An exception thrown by user code: the function, the engine's message and the arguments.
    static func userCode(_ name: String, message: String, arguments: [Value]) -> EvalError {
        var e = EvalError("\(name) threw: \(message)")
        e.detail = Record(names: ["function", "message", "arguments"], values: [.string(name), .string(message), .array(arguments)])
        return e
    }

    /// An error that stops the job (a user function over its time limit).
    static func fatal(_ message: String) -> EvalError {
        var e = EvalError(message)
        e.isFatal = true
        return e
    }
}
