import CJavaScriptCore
import Planner

/// Values across the JavaScript boundary, as ASA's "Stream Analytics and JavaScript type
/// conversion" table gives them (see Grammar.md): bigint and float are Numbers, nvarchar(max) a
/// String, datetime a Date (milliseconds), bit a Boolean, record an Object, array an Array, NULL
/// null; back, a whole Number within bigint's range is a bigint and any other finite Number a
/// float, a Date a datetime, an Object a record, an Array an array, null and undefined NULL, a
/// Boolean a bit. Anything else (a function, a symbol, a non-finite number) is an evaluation error.
extension JavaScriptEngine {
    /// `value` as a JavaScript value of this engine's context.
    func jsValue(_ value: Value, depth: Int = 0) -> JSValueRef? {
        switch value {
        case .null: return JSValueMakeNull(context)
        case .bigint(let i): return JSValueMakeNumber(context, Double(i))
        case .float(let d): return JSValueMakeNumber(context, d)
        case .bit(let b): return JSValueMakeBoolean(context, b)
        case .string(let s): return withJSString(s) { JSValueMakeString(context, $0) }
        case .datetime(let t):
            // Dates carry whole milliseconds.
            var ms = JSValueMakeNumber(context, Double(t.ticks.floorDivided(by: 10_000)))
            return withUnsafePointer(to: &ms) { JSObjectMakeDate(context, 1, $0, nil) }
        case .array(let items):
            guard depth < Value.maxNesting else { return JSValueMakeNull(context) }
            let elements = items.map { jsValue($0, depth: depth + 1) }
            return elements.withUnsafeBufferPointer { JSObjectMakeArray(context, $0.count, $0.baseAddress, nil) }
        case .record(let r):
            guard depth < Value.maxNesting else { return JSValueMakeNull(context) }
            let object = JSObjectMake(context, nil, nil)
            for (name, v) in zip(r.names, r.values) {
                let element = jsValue(v, depth: depth + 1)
                withJSString(name) { JSObjectSetProperty(context, object, $0, element, JSPropertyAttributes(kJSPropertyAttributeNone), nil) }
            }
            return object
        }
    }

    /// A JavaScript value back as a saql value; `what` names the function for errors.
    func value(_ js: JSValueRef, _ what: String, depth: Int = 0) throws(EvalError) -> Value {
        guard depth < Value.maxNesting else { throw EvalError("\(what) returned values nested deeper than \(Value.maxNesting) levels") }
        switch JSValueGetType(context, js) {
        case kJSTypeUndefined, kJSTypeNull: return .null
        case kJSTypeBoolean: return .bit(JSValueToBoolean(context, js))
        case kJSTypeNumber:
            let d = JSValueToNumber(context, js, nil)
            guard d.isFinite else { throw EvalError("\(what) returned \(d), which is no bigint or float") }
            // Whole and within bigint's range (2^63 itself is not: it is the first double past it).
            if d == d.rounded(), d >= -9_223_372_036_854_775_808, d < 9_223_372_036_854_775_808 { return .bigint(Int64(d)) }
            return .float(d)
        case kJSTypeString: return .string(string(js) ?? "")
        case kJSTypeObject:
            guard let object = JSValueToObject(context, js, nil) else { return .null }
            if JSObjectIsFunction(context, object) { throw EvalError("\(what) returned a function, which has no saql type") }
            if JSValueIsArray(context, js) {
                let length = withJSString("length") { JSObjectGetProperty(context, object, $0, nil) }.map { JSValueToNumber(context, $0, nil) } ?? 0
                var items: [Value] = []
                items.reserveCapacity(Int(length))
                for i in 0..<Int(length) {
                    guard let e = JSObjectGetPropertyAtIndex(context, object, UInt32(i), nil) else { items.append(.null); continue }
                    items.append(try value(e, what, depth: depth + 1))
                }
                return .array(items)
            }
            if JSValueIsDate(context, js) {
                let ms = JSValueToNumber(context, js, nil)
                guard ms.isFinite else { throw EvalError("\(what) returned an invalid Date") }
                return .datetime(Timestamp(ticks: Int64(ms * 10_000)))
            }
            let names = JSObjectCopyPropertyNames(context, object)
            defer { JSPropertyNameArrayRelease(names) }
            var record = Record()
            for i in 0..<JSPropertyNameArrayGetCount(names) {
                guard let name = JSPropertyNameArrayGetNameAtIndex(names, i),
                      let v = JSObjectGetProperty(context, object, name, nil) else { continue }
                record.set(swiftString(name), try value(v, what, depth: depth + 1))
            }
            return .record(record)
        default:
            throw EvalError("\(what) returned a \(string(js) ?? "value") of a type saql has no equivalent for")
        }
    }
}

private extension Int64 {
    /// Division rounding toward negative infinity (dates before 1970 stay in their millisecond).
    func floorDivided(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
