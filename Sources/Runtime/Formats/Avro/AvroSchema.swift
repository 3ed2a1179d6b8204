import Planner

/// An Avro schema (specification 1.11), as a reader resolves it: named types are inlined where
/// they are referenced, and the logical types saql maps to its own types are kept.
indirect enum AvroSchema: Sendable, Equatable {
    case null, boolean, int, long, float, double, bytes, string
    /// `int` with logical type `date`: days since 1970-01-01.
    case date
    /// `long` with logical type `timestamp-millis`, `timestamp-micros` or `timestamp-nanos`
    /// (also the `local-` variants): the number of ticks of this many 100 ns in one unit.
    case timestamp(unitNanoseconds: Int64)
    /// `bytes` or `fixed` with logical type `decimal`.
    case decimal(scale: Int, fixedSize: Int?)
    case fixed(size: Int)
    case enumeration(symbols: [String])
    case array(AvroSchema)
    case map(AvroSchema)
    case union([AvroSchema])
    case record(name: String, fields: [(name: String, type: AvroSchema)])
    /// A record's reference to itself or to an enclosing record: decoding refuses it (saql's
    /// values are trees of bounded depth).
    case recursive(name: String)

    static func == (a: AvroSchema, b: AvroSchema) -> Bool { a.description == b.description }

    /// The schema in a file header's `avro.schema`; throws for what is not valid Avro.
    static func parse(json text: [UInt8]) throws(DecodeError) -> AvroSchema {
        let value = try text.withUnsafeBufferPointer { bytes throws(DecodeError) -> Value in
            var c = JSONCursor(bytes: bytes, booleansAsBit: true)
            c.skipWhitespace()
            return try c.readValue()
        }
        var named: [String: AvroSchema] = [:]
        return try parse(value, namespace: nil, named: &named)
    }

    private static func parse(_ v: Value, namespace: String?, named: inout [String: AvroSchema]) throws(DecodeError) -> AvroSchema {
        switch v {
        case .string(let name): return try primitive(name, namespace: namespace, named: named)
        case .array(let branches):
            var types: [AvroSchema] = []
            for b in branches { types.append(try parse(b, namespace: namespace, named: &named)) }
            return .union(types)
        case .record(let r): return try complex(r, namespace: namespace, named: &named)
        default: throw DecodeError(message: "an Avro schema is a name, an object or an array, not \(v)", offset: 0)
        }
    }

    private static func primitive(_ name: String, namespace: String?, named: [String: AvroSchema]) throws(DecodeError) -> AvroSchema {
        switch name {
        case "null": return .null
        case "boolean": return .boolean
        case "int": return .int
        case "long": return .long
        case "float": return .float
        case "double": return .double
        case "bytes": return .bytes
        case "string": return .string
        default:
            if let t = named[name] ?? namespace.flatMap({ named["\($0).\(name)"] }) { return t }
            throw DecodeError(message: "the Avro schema names an unknown type '\(name)'", offset: 0)
        }
    }

    private static func complex(_ r: Record, namespace: String?, named: inout [String: AvroSchema]) throws(DecodeError) -> AvroSchema {
        guard case .string(let type)? = r["type"] else {
            if let inner = r["type"] { return try parse(inner, namespace: namespace, named: &named) }
            throw DecodeError(message: "an Avro schema object has no 'type'", offset: 0)
        }
        let logical: String? = if case .string(let l)? = r["logicalType"] { l } else { nil }
        let name: String? = if case .string(let n)? = r["name"] { n } else { nil }
        let ns: String? = if case .string(let n)? = r["namespace"] { n } else { namespace }
        func register(_ t: AvroSchema) {
            guard let name else { return }
            named[name] = t
            if let ns, !name.contains(".") { named["\(ns).\(name)"] = t }
        }
        switch type {
        case "record", "error":
            guard let name, case .array(let list)? = r["fields"] else {
                throw DecodeError(message: "an Avro record needs a 'name' and 'fields'", offset: 0)
            }
            let ownNamespace = name.contains(".") ? String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)]) : ns
            var fields: [(name: String, type: AvroSchema)] = []
            register(.recursive(name: name))
            for f in list {
                guard case .record(let field) = f, case .string(let fieldName)? = field["name"], let fieldType = field["type"] else {
                    throw DecodeError(message: "a field of Avro record '\(name)' needs a 'name' and a 'type'", offset: 0)
                }
                fields.append((fieldName, try parse(fieldType, namespace: ownNamespace, named: &named)))
            }
            let t = AvroSchema.record(name: name, fields: fields)
            register(t)
            return t
        case "enum":
            guard case .array(let list)? = r["symbols"] else { throw DecodeError(message: "an Avro enum needs 'symbols'", offset: 0) }
            let t = AvroSchema.enumeration(symbols: list.compactMap { if case .string(let s) = $0 { s } else { nil } })
            register(t)
            return t
        case "array":
            guard let items = r["items"] else { throw DecodeError(message: "an Avro array needs 'items'", offset: 0) }
            return .array(try parse(items, namespace: ns, named: &named))
        case "map":
            guard let values = r["values"] else { throw DecodeError(message: "an Avro map needs 'values'", offset: 0) }
            return .map(try parse(values, namespace: ns, named: &named))
        case "fixed":
            guard case .bigint(let size)? = r["size"], size >= 0 else { throw DecodeError(message: "an Avro fixed needs a 'size'", offset: 0) }
            let scale: Int = if case .bigint(let s)? = r["scale"] { Int(s) } else { 0 }
            let t: AvroSchema = logical == "decimal" ? .decimal(scale: scale, fixedSize: Int(size)) : .fixed(size: Int(size))
            register(t)
            return t
        default:
            let base = try primitive(type, namespace: ns, named: named)
            switch (base, logical) {
            case (.int, "date"): return .date
            case (.long, "timestamp-millis"), (.long, "local-timestamp-millis"): return .timestamp(unitNanoseconds: 1_000_000)
            case (.long, "timestamp-micros"), (.long, "local-timestamp-micros"): return .timestamp(unitNanoseconds: 1_000)
            case (.long, "timestamp-nanos"), (.long, "local-timestamp-nanos"): return .timestamp(unitNanoseconds: 1)
            case (.bytes, "decimal"):
                let scale: Int = if case .bigint(let s)? = r["scale"] { Int(s) } else { 0 }
                return .decimal(scale: scale, fixedSize: nil)
            // Unknown logical types read as their underlying type, as the specification asks.
            default: return base
            }
        }
    }

    /// True when a value can take no bytes at all (null, an empty fixed, a record of such).
    var canBeEmpty: Bool {
        switch self {
        case .null: true
        case .fixed(let size): size == 0
        case .decimal(_, let size): size == 0
        case .record(_, let fields): fields.allSatisfy(\.type.canBeEmpty)
        default: false
        }
    }

    /// The field names of a record schema (a file's columns); empty for other schemas.
    var fieldNames: [String] {
        if case .record(_, let fields) = self { return fields.map(\.name) }
        return []
    }

    /// The schema in Avro's JSON form, without names' namespaces (for messages and equality).
    var description: String {
        switch self {
        case .null: "\"null\""
        case .boolean: "\"boolean\""
        case .int: "\"int\""
        case .long: "\"long\""
        case .float: "\"float\""
        case .double: "\"double\""
        case .bytes: "\"bytes\""
        case .string: "\"string\""
        case .date: "{\"type\":\"int\",\"logicalType\":\"date\"}"
        case .timestamp(let unit): "{\"type\":\"long\",\"logicalType\":\"timestamp-\(unit == 1 ? "nanos" : unit == 1000 ? "micros" : "millis")\"}"
        case .decimal(let scale, let size): "{\"type\":\"\(size.map { "fixed\",\"size\":\($0)" } ?? "bytes\""),\"logicalType\":\"decimal\",\"scale\":\(scale)}"
        case .fixed(let size): "{\"type\":\"fixed\",\"size\":\(size)}"
        case .enumeration(let symbols): "{\"type\":\"enum\",\"symbols\":[\(symbols.map { "\"\($0)\"" }.joined(separator: ","))]}"
        case .array(let items): "{\"type\":\"array\",\"items\":\(items.description)}"
        case .map(let values): "{\"type\":\"map\",\"values\":\(values.description)}"
        case .union(let types): "[\(types.map(\.description).joined(separator: ","))]"
        case .recursive(let name): "\"\(name)\""
        case .record(let name, let fields):
            "{\"type\":\"record\",\"name\":\"\(name)\",\"fields\":[\(fields.map { "{\"name\":\"\($0.name)\",\"type\":\($0.type.description)}" }.joined(separator: ","))]}"
        }
    }
}
