/// A property that `GetMetadataPropertyValue(input, 'path')` reads from an input's transport
/// rather than from the event payload.
///
/// Paths follow ASA: `'[EventHub].[PartitionId]'` (or `'EventHub.PartitionId'`), a whole group as a
/// record (`'EventHub'`, `'IoTHub'`, `'Blob'`), user properties `'[User].[name]'` (Kafka record headers), and
/// `'EventId'` and `'BlobName'` alone. The `Kafka` group names Kafka's own terms. IoT Hub's system
/// properties arrive as record headers when a Kafka input reads IoT Hub's Event Hubs-compatible
/// endpoint (see Grammar.md for the header of each). A source without a property gives NULL.
package enum MetadataProperty: Hashable, Sendable, CustomStringConvertible {
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
    /// An IoT Hub system property (`IoTHub.ConnectionDeviceId`, `EventHub.IoTConnectionDeviceId`),
    /// read from the header IoT Hub sets.
    case iotHub(IoTHubField)
    /// `EventId`: an identifier of the event, the same each time the same event is read (its topic,
    /// partition and offset; or its file and byte offset), for removing duplicates.
    case eventId
    /// `BlobName` (also `Blob.BlobName`): the file the event was read from.
    case blobName
    /// `Blob.BlobLastModifiedUtcTime`: when that file was last modified.
    case blobLastModified
    /// The MQTT QoS the message was delivered with (`MQTT.QoS`).
    case qos
    /// True for a retained message (`MQTT.Retain`).
    case retain
    /// The MQTT packet identifier (`MQTT.MessageId`; 0 for QoS 0).
    case messageId
    /// A group as one record: `EventHub`, `IoTHub`, `Blob`, `Kafka`, `MQTT` or `User` (every header).
    case group(Group)

    /// A named set of properties.
    package enum Group: String, Hashable, Sendable, CaseIterable {
        case eventHub = "EventHub", iotHub = "IoTHub", blob = "Blob", kafka = "Kafka", mqtt = "MQTT", user = "User"
    }

    /// IoT Hub's system properties, with the record header each comes from.
    package enum IoTHubField: String, Hashable, Sendable, CaseIterable {
        case connectionDeviceId = "ConnectionDeviceId", authMethod = "AuthMethod", authGenerationId = "AuthGenerationId"
        case enqueueTime = "EnqueueTime", messageSource = "MessageSource", connectionModuleId = "ConnectionModuleId"
        case interfaceName = "InterfaceName", correlationId = "CorrelationId", messageId = "MessageId"
        case connectionDeviceGenerationId = "ConnectionDeviceGenerationId", publisher = "Publisher"

        /// The header IoT Hub (or Event Hubs, for the publisher) puts the property in.
        package var header: String {
            switch self {
            case .connectionDeviceId: "iothub-connection-device-id"
            case .authMethod: "iothub-connection-auth-method"
            case .authGenerationId: "iothub-connection-auth-generation-id"
            case .enqueueTime: "iothub-enqueuedtime"
            case .messageSource: "iothub-message-source"
            case .connectionModuleId: "iothub-connection-module-id"
            case .interfaceName: "iothub-interface-name"
            case .correlationId: "correlation-id"
            case .messageId: "message-id"
            case .connectionDeviceGenerationId: "iothub-connection-device-generation-id"
            case .publisher: "x-opt-publisher"
            }
        }
    }

    /// The property names of each group, with what they read. `IoTHub.EnqueuedTime` is accepted
    /// beside ASA's `EnqueueTime`.
    static let names: [Group: [(String, MetadataProperty)]] = [
        .eventHub: [("EventEnqueuedUtcTime", .enqueuedTime), ("EventProcessedUtcTime", .processedTime),
                    ("PartitionId", .partition), ("Offset", .offset), ("SequenceNumber", .offset),
                    ("PartitionKey", .key), ("Publisher", .iotHub(.publisher))]
            + IoTHubField.allCases.filter { $0 != .publisher && $0 != .correlationId && $0 != .messageId && $0 != .connectionDeviceGenerationId }
                .map { ("IoT" + $0.rawValue, .iotHub($0)) },
        .iotHub: IoTHubField.allCases.filter { $0 != .publisher }.map { ($0.rawValue, .iotHub($0)) },
        .blob: [("BlobName", .blobName), ("BlobLastModifiedUtcTime", .blobLastModified)],
        .kafka: [("Topic", .topic), ("Partition", .partition), ("Offset", .offset), ("Key", .key),
                 ("Timestamp", .enqueuedTime), ("TimestampType", .timestampType)],
        .mqtt: [("Topic", .topic), ("QoS", .qos), ("Retain", .retain), ("MessageId", .messageId),
                ("EventEnqueuedUtcTime", .enqueuedTime)],
    ]

    /// The members of a group record (headers are only known per record).
    package static func members(of group: Group) -> [(String, MetadataProperty)] { names[group] ?? [] }

    /// Parses a path; `nil` for an unknown group or property.
    package init?(path: String) {
        let parts = Self.split(path)
        if parts.count == 1, parts[0].caseInsensitiveEquals("EventId") { self = .eventId; return }
        if parts.count == 1, parts[0].caseInsensitiveEquals("BlobName") { self = .blobName; return }
        guard let first = parts.first, let group = Group.allCases.first(where: { $0.rawValue.caseInsensitiveEquals(first) }) else {
            return nil
        }
        switch parts.count {
        case 1: self = .group(group)
        case 2 where group == .user: self = .header(parts[1])
        case 2 where group == .iotHub && parts[1].caseInsensitiveEquals("EnqueuedTime"): self = .iotHub(.enqueueTime)
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

    /// What to say about an unknown path: the members of its group when the group is known, else
    /// the single properties and the groups.
    package static func knownPathsHelp(near path: String) -> String {
        if let first = split(path).first, let group = Group.allCases.first(where: { $0.rawValue.caseInsensitiveEquals(first) }) {
            if group == .user { return "[User].[name] reads the record header 'name'" }
            return "[\(group.rawValue)] has: \(members(of: group).map(\.0).joined(separator: ", "))"
        }
        return "known properties: EventId, BlobName and the groups [EventHub], [IoTHub], [Blob], [Kafka], [MQTT] and [User] (Grammar.md lists every member)"
    }

    /// The suggestion list for an unknown path.
    package static var knownPaths: [String] {
        Group.allCases.flatMap { g in g == .user ? ["[User].[header]"] : members(of: g).map { "[\(g.rawValue)].[\($0.0)]" } }
            + ["EventId", "BlobName"]
    }

    package var type: DataType {
        switch self {
        case .enqueuedTime, .processedTime, .blobLastModified: .datetime
        case .partition, .offset, .qos, .messageId: .bigint
        case .retain: .bit
        case .key, .topic, .timestampType, .header, .eventId, .blobName: .nvarchar
        case .iotHub(let f): f == .enqueueTime ? .datetime : .nvarchar
        case .group: .anyRecord
        }
    }

    package var description: String {
        switch self {
        case .enqueuedTime: "[Kafka].[Timestamp]"
        case .processedTime: "[EventHub].[EventProcessedUtcTime]"
        case .partition: "[Kafka].[Partition]"
        case .offset: "[Kafka].[Offset]"
        case .key: "[Kafka].[Key]"
        case .topic: "[Kafka].[Topic]"
        case .timestampType: "[Kafka].[TimestampType]"
        case .header(let name): "[User].[\(name)]"
        case .iotHub(.publisher): "[EventHub].[Publisher]"
        case .iotHub(let f): "[IoTHub].[\(f.rawValue)]"
        case .qos: "[MQTT].[QoS]"
        case .retain: "[MQTT].[Retain]"
        case .messageId: "[MQTT].[MessageId]"
        case .eventId: "EventId"
        case .blobName: "BlobName"
        case .blobLastModified: "[Blob].[BlobLastModifiedUtcTime]"
        case .group(let g): g.rawValue
        }
    }

    /// The input-layout field that carries this property. It starts with a NUL, which no payload
    /// field name can, so readers never fill it from the payload.
    package var layoutField: String { "\u{0}metadata:\(description)" }

    /// The property a layout field carries, if it is a metadata field.
    package init?(layoutField: String) {
        guard layoutField.hasPrefix("\u{0}metadata:") else { return nil }
        self.init(path: String(layoutField.dropFirst("\u{0}metadata:".count)))
    }
}
