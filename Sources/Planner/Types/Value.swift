import SAQLParser

/// A SAQL value. Every value carries its own type (ASA types values, not columns).
///
/// `Hashable` here is structural (used for plan constants); the runtime has its own SQL equality
/// (case-insensitive strings, numeric bigint/float comparison).
public enum Value: Hashable, Sendable, Encodable {
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
