import SAQLParser

/// A SAQL value. Every value carries its own type (ASA types values, not columns).
///
/// `Hashable` here is structural (used for plan constants); the runtime has its own SQL equality
/// (case-insensitive strings, numeric bigint/float comparison).
public enum Value: Hashable, Sendable, Encodable, CustomStringConvertible {
    case null
    case bigint(Int64)
    case float(Double)
    case string(String)
    case datetime(Timestamp)
    case bit(Bool)
    case record(Record)
    case array([Value])

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// How deeply records and arrays may nest. Every recursive pass over values (decoding events,
    /// checkpoints, writing) stays within it; an event nested deeper is malformed.
    package static let maxNesting = 512

    /// The value's own type; `.any` for NULL.
    public var dataType: DataType {
        switch self {
        case .null: return .any
        case .bigint: return .bigint
        case .float: return .float
        case .string: return .nvarchar
        case .datetime: return .datetime
        case .bit: return .bit
        case .record: return .anyRecord
        case .array: return .array
        }
    }

    /// The value as text: a scalar as itself (`42`, `2.5`, `pump-1`, `2024-01-01T00:00:00.0000000Z`,
    /// `true`, `NULL`), a record or an array as JSON.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .string(let s): return s
        case .datetime(let t): return t.iso8601
        default:
            var out = ""
            appendJSON(to: &out)
            return out
        }
    }

    private func appendJSON(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bigint(let i): out += String(i)
        case .float(let d): out += d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): Self.appendQuoted(s, to: &out)
        case .datetime(let t): Self.appendQuoted(t.iso8601, to: &out)
        case .bit(let b): out += b ? "true" : "false"
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.appendJSON(to: &out)
            }
            out += "]"
        case .record(let r):
            out += "{"
            for i in r.names.indices {
                if i > 0 { out += "," }
                Self.appendQuoted(r.names[i], to: &out)
                out += ":"
                r.values[i].appendJSON(to: &out)
            }
            out += "}"
        }
    }

    private static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    /// ASA's type name, as returned by `GetType`.
    public var typeName: String { isNull ? "null" : dataType.description }
}

/// A record: ordered name/value pairs. Names are unique ignoring case; lookups ignore case.
public struct Record: Hashable, Sendable, Encodable {
    public package(set) var names: [String]
    public package(set) var values: [Value]

    public init(names: [String] = [], values: [Value] = []) {
        precondition(names.count == values.count, "record names and values differ in length")
        self.names = names
        self.values = values
    }

    public init(_ pairs: KeyValuePairs<String, Value>) {
        self.init(names: pairs.map(\.key), values: pairs.map(\.value))
    }

    public var count: Int { names.count }

    /// The index of the field named `name`, ignoring case.
    public func index(of name: String) -> Int? {
        // Exact match first: the common case, and the cheapest.
        if let i = names.firstIndex(of: name) { return i }
        return names.firstIndex { $0.caseInsensitiveEquals(name) }
    }

    public subscript(name: String) -> Value? {
        index(of: name).map { values[$0] }
    }

    /// Appends a field, or replaces the value of an existing one with the same name.
    public mutating func set(_ name: String, _ value: Value) {
        if let i = index(of: name) { values[i] = value } else {
            names.append(name)
            values.append(value)
        }
    }
}
