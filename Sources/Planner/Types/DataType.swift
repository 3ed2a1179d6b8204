import SAQLParser

/// The static type of an expression, as far as the binder knows it.
///
/// SAQL is typed per value, not per column: an input field can hold a different type in every event.
/// `.any` marks such expressions; the runtime then checks each value.
public indirect enum DataType: Hashable, Sendable, Encodable, CustomStringConvertible {
    case any
    case bigint
    case float
    case nvarchar
    case datetime
    case bit
    case array
    /// A record; `fields` lists its known fields when the binder knows them (e.g. anomaly scores).
    case record(fields: [RecordFieldType]?)

    public static let anyRecord = DataType.record(fields: nil)

    /// ASA's name for the type, as `GetType` and diagnostics spell it.
    public var description: String {
        switch self {
        case .any: return "any"
        case .bigint: return "bigint"
        case .float: return "float"
        case .nvarchar: return "nvarchar(max)"
        case .datetime: return "datetime"
        case .bit: return "bit"
        case .array: return "array"
        case .record: return "record"
        }
    }

    public var isNumeric: Bool { self == .bigint || self == .float || self == .bit }
    public var isRecord: Bool { if case .record = self { return true } else { return false } }

    /// Parses a type name from CAST or CREATE TABLE; `nil` for unknown names.
    public init?(typeName: String) {
        switch typeName.lowercased().replacingOccurrences(of: " ", with: "") {
        case "bigint", "int", "integer", "long": self = .bigint
        case "float", "double", "real": self = .float
        case "nvarchar(max)", "nvarchar", "varchar(max)", "varchar", "string": self = .nvarchar
        case "datetime", "datetime2", "timestamp": self = .datetime
        case "bit", "boolean", "bool": self = .bit
        case "record": self = .anyRecord
        case "array": self = .array
        default: return nil
        }
    }

    /// The type of a known record field, when this is a record with known fields.
    public func fieldType(_ name: String) -> DataType? {
        guard case .record(let fields?) = self else { return nil }
        return fields.first { $0.name.caseInsensitiveEquals(name) }?.type
    }
}

/// A named field of a record type.
public struct RecordFieldType: Hashable, Sendable, Encodable {
    public var name: String
    public var type: DataType
    public init(_ name: String, _ type: DataType) {
        self.name = name
        self.type = type
    }
}
