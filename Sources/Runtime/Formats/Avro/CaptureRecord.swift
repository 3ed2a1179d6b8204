import Planner

/// One record of an Event Hubs Capture file (schema `Microsoft.ServiceBus.Messaging.EventData`:
/// `SequenceNumber`, `Offset`, `EnqueuedTimeUtc`, `SystemProperties`, `Properties`, `Body`), or of
/// an IoT Hub route to storage in Avro, which has the same fields.
struct CaptureRecord {
    var sequenceNumber: Int64?
    var offset: Int64?
    /// When Event Hubs enqueued the event: the event's arrival time.
    var enqueued: Int64
    var systemProperties: Record
    var properties: Record
    /// The event payload, as sent: JSON text for saql.
    var body: [UInt8]?

    /// The fields a file must have to be read as a capture.
    static let requiredFields = ["EnqueuedTimeUtc", "Body"]

    /// Reads one record of a capture file's `schema`: its fields but `Body`, and `Body`'s bytes as
    /// they are. (``init(_:body:)`` then checks the fields, so a bad field costs only its record.)
    static func read(_ d: inout AvroDecoder, schema: AvroSchema) throws(DecodeError) -> (Record, [UInt8]?) {
        guard case .record(_, let fields) = schema else { throw DecodeError(message: "a capture file's schema is not a record", offset: 0) }
        var r = Record()
        var body: [UInt8]?
        for f in fields {
            if f.name == "Body" { body = try d.readRawBytes(f.type) } else { r.set(f.name, try d.read(f.type, depth: 1)) }
        }
        return (r, body)
    }

    /// The record's fields but `Body`, and the body's bytes; throws when `EnqueuedTimeUtc` is
    /// missing or not a time.
    init(_ r: Record, body: [UInt8]?) throws(DecodeError) {
        guard let t = r["EnqueuedTimeUtc"].flatMap(Self.time) else {
            throw DecodeError(message: "the capture record's EnqueuedTimeUtc (\(r["EnqueuedTimeUtc"].map { "\($0)" } ?? "missing")) is not a time", offset: 0)
        }
        enqueued = t
        if case .bigint(let n)? = r["SequenceNumber"] { sequenceNumber = n }
        switch r["Offset"] {
        case .string(let s)?: offset = Int64(s)
        case .bigint(let n)?: offset = n
        default: break
        }
        if case .record(let p)? = r["SystemProperties"] { systemProperties = p } else { systemProperties = Record() }
        if case .record(let p)? = r["Properties"] { properties = p } else { properties = Record() }
        self.body = body
    }

    /// `EnqueuedTimeUtc` as Capture writes it: .NET's invariant `M/d/yyyy h:mm:ss tt`
    /// (`9/29/2016 6:13:21 PM`), or ISO 8601; or a `timestamp-*` value.
    static func time(_ v: Value) -> Int64? {
        switch v {
        case .datetime(let t): return t.ticks
        case .string(let s): return Timestamp(parsing: s)?.ticks ?? usTime(s)
        default: return nil
        }
    }

    private static func usTime(_ s: String) -> Int64? {
        let parts = s.split(separator: " ")
        guard parts.count == 3 || parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "/").compactMap { Int($0) }
        let clock = parts[1].split(separator: ":")
        guard date.count == 3, clock.count == 3, let h = Int(clock[0]), let m = Int(clock[1]) else { return nil }
        let secParts = clock[2].split(separator: ".", maxSplits: 1)
        guard let sec = Int(secParts[0]) else { return nil }
        var fraction: Int64 = 0
        if secParts.count == 2 {
            let digits = secParts[1].prefix(7)
            guard let f = Int64(digits) else { return nil }
            fraction = f * Int64([1, 1_000_000, 100_000, 10_000, 1000, 100, 10, 1][digits.count])
        }
        var hour = h
        if parts.count == 3 {
            let tt = parts[2].uppercased()
            guard (1...12).contains(h), tt == "AM" || tt == "PM" else { return nil }
            hour = h % 12 + (tt == "PM" ? 12 : 0)
        }
        guard (1...12).contains(date[0]), (1...31).contains(date[1]), (0...23).contains(hour), (0...59).contains(m), (0...60).contains(sec) else {
            return nil
        }
        return Timestamp(year: date[2], month: date[0], day: date[1], hour: hour, minute: m, second: sec, ticks: fraction).ticks
    }

    /// A system property by the name Event Hubs gives it (`x-opt-partition-key`,
    /// `iothub-connection-device-id`), or by IoT Hub's storage-route name (`connectionDeviceId`).
    func system(_ names: String...) -> Value {
        for n in names { if let v = systemProperties[n] { return Self.text(v) } }
        return .null
    }

    /// A property value as text, as record headers are (`[User].[name]` is nvarchar).
    static func text(_ v: Value) -> Value {
        switch v {
        case .null, .string: v
        case .bigint(let n): .string(String(n))
        case .float(let d): .string(String(d))
        case .bit(let b): .string(b ? "true" : "false")
        default: .string("\(v)")
        }
    }

    /// IoT Hub's storage-route name of a system property (`connectionDeviceId`).
    static func routeName(_ f: MetadataProperty.IoTHubField) -> String {
        switch f {
        case .authMethod: "connectionAuthMethod"
        case .authGenerationId: "connectionAuthGenerationId"
        case .enqueueTime: "enqueuedTime"
        default: f.rawValue.prefix(1).lowercased() + f.rawValue.dropFirst()
        }
    }

    /// What `GetMetadataPropertyValue` reads from this record.
    func metadata(_ property: MetadataProperty, file: String, lastModified: Int64?, processed: Int64, ordinal: Int64) -> Value {
        switch property {
        case .enqueuedTime: return .datetime(Timestamp(ticks: enqueued))
        case .processedTime: return .datetime(Timestamp(ticks: processed))
        case .offset: return offset.map(Value.bigint) ?? sequenceNumber.map(Value.bigint) ?? .null
        case .key: return system("x-opt-partition-key")
        case .header(let name): return properties[name].map(Self.text) ?? .null
        case .iotHub(let f):
            let v = system(f.header, Self.routeName(f))
            if f == .enqueueTime, case .string(let s) = v { return Timestamp(parsing: s).map(Value.datetime) ?? v }
            return v
        case .eventId: return .string(EventID.of(file, partition: 0, offset: sequenceNumber ?? ordinal))
        case .blobName: return .string(file)
        case .blobLastModified: return lastModified.map { .datetime(Timestamp(ticks: $0)) } ?? .null
        case .partition, .topic, .timestampType, .qos, .retain, .messageId: return .null
        case .group(.user): return .record(properties)
        case .group(let group):
            let members = MetadataProperty.members(of: group)
            return .record(Record(names: members.map(\.0), values: members.map {
                metadata($0.1, file: file, lastModified: lastModified, processed: processed, ordinal: ordinal)
            }))
        }
    }
}
