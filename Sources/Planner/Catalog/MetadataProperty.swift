/// A property that `GetMetadataPropertyValue(input, 'path')` reads from an input's transport
/// rather than from the event payload.
///
/// Paths follow ASA: `'[EventHub].[PartitionId]'` (or `'EventHub.PartitionId'`), a whole group as a
/// record (`'EventHub'`), and user properties `'[User].[name]'` (Kafka record headers). The
/// `Kafka` group names Kafka's own terms. Kafka inputs fill every property; other inputs give NULL.
public enum MetadataProperty: Hashable, Sendable, CustomStringConvertible {
    /// The record timestamp (`EventHub.EventEnqueuedUtcTime`, `Kafka.Timestamp`).
    case enqueuedTime
    /// When saql read the record (`EventHub.EventProcessedUtcTime`).
    case processedTime
    /// The partition number (`EventHub.PartitionId`, `Kafka.Partition`).
    case partition
    /// The record offset (`EventHub.Offset`, `EventHub.SequenceNumber`, `Kafka.Offset`).
    case offset
    /// The record key as text (`EventHub.PartitionKey`, `Kafka.Key`).
    case key
    /// The topic name (`Kafka.Topic`).
    case topic
    /// `CreateTime` or `LogAppendTime` (`Kafka.TimestampType`).
    case timestampType
    /// The last header of that name, as text (`User.name`).
    case header(String)
    /// A group as one record: `EventHub`, `Kafka` or `User` (every header).
    case group(Group)

    /// A named set of properties.
    public enum Group: String, Hashable, Sendable, CaseIterable {
        case eventHub = "EventHub", kafka = "Kafka", user = "User"
    }

    /// The property names of each group, with what they read.
    static let names: [Group: [(String, MetadataProperty)]] = [
        .eventHub: [("EventEnqueuedUtcTime", .enqueuedTime), ("EventProcessedUtcTime", .processedTime),
                    ("PartitionId", .partition), ("Offset", .offset), ("SequenceNumber", .offset),
                    ("PartitionKey", .key)],
        .kafka: [("Topic", .topic), ("Partition", .partition), ("Offset", .offset), ("Key", .key),
                 ("Timestamp", .enqueuedTime), ("TimestampType", .timestampType)],
    ]

    /// The members of a group record (headers are only known per record).
    public static func members(of group: Group) -> [(String, MetadataProperty)] { names[group] ?? [] }

    /// Parses a path; `nil` for an unknown group or property.
    public init?(path: String) {
        let parts = Self.split(path)
        guard let first = parts.first, let group = Group.allCases.first(where: { $0.rawValue.caseInsensitiveEquals(first) }) else {
            return nil
        }
        switch parts.count {
        case 1: self = .group(group)
        case 2 where group == .user: self = .header(parts[1])
        case 2:
            guard let hit = Self.members(of: group).first(where: { $0.0.caseInsensitiveEquals(parts[1]) }) else { return nil }
            self = hit.1
        default: return nil
        }
    }

    /// `[A].[B]` or `A.B` into its parts.
    private static func split(_ path: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var bracketed = false
        for c in path {
            switch c {
            case "[" where !bracketed && current.isEmpty: bracketed = true
            case "]" where bracketed: bracketed = false
            case "." where !bracketed:
                parts.append(current)
                current = ""
            default: current.append(c)
            }
        }
        parts.append(current)
        return parts
    }

    /// The suggestion list for an unknown path.
    public static var knownPaths: [String] {
        Group.allCases.flatMap { g in g == .user ? ["[User].[header]"] : members(of: g).map { "[\(g.rawValue)].[\($0.0)]" } }
    }

    public var type: DataType {
        switch self {
        case .enqueuedTime, .processedTime: .datetime
        case .partition, .offset: .bigint
        case .key, .topic, .timestampType, .header: .nvarchar
        case .group: .anyRecord
        }
    }

    public var description: String {
        switch self {
        case .enqueuedTime: "[Kafka].[Timestamp]"
        case .processedTime: "[EventHub].[EventProcessedUtcTime]"
        case .partition: "[Kafka].[Partition]"
        case .offset: "[Kafka].[Offset]"
        case .key: "[Kafka].[Key]"
        case .topic: "[Kafka].[Topic]"
        case .timestampType: "[Kafka].[TimestampType]"
        case .header(let name): "[User].[\(name)]"
        case .group(let g): g.rawValue
        }
    }

    /// The input-layout field that carries this property. It starts with a NUL, which no payload
    /// field name can, so readers never fill it from the payload.
    public var layoutField: String { "\u{0}metadata:\(description)" }

    /// The property a layout field carries, if it is a metadata field.
    public init?(layoutField: String) {
        guard layoutField.hasPrefix("\u{0}metadata:") else { return nil }
        self.init(path: String(layoutField.dropFirst("\u{0}metadata:".count)))
    }
}
