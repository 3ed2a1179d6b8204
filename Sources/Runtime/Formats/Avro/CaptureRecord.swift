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

    /// Reads the records of one capture file: the role of each field of its schema is found
    /// once, and consecutive records enqueued in the same second (Capture's resolution) parse
    /// their time once.
    struct Reader {
        private enum Role { case sequence, offset, enqueued, system, properties, body, other }
        private let fields: [(role: Role, type: AvroSchema)]
        /// Whether to build the property maps (else they are skipped): only metadata reads them.
        private let properties: Bool
        private var lastTime: [UInt8] = []
        private var lastTicks: Int64?

        init(schema: AvroSchema, properties: Bool) throws(DecodeError) {
            guard case .record(_, let fields) = schema else { throw DecodeError(message: "a capture file's schema is not a record", offset: 0) }
            self.fields = fields.map { f in
                let role: Role = switch f.name {
                case "SequenceNumber": .sequence
                case "Offset": .offset
                case "EnqueuedTimeUtc": .enqueued
                case "SystemProperties": .system
                case "Properties": .properties
                case "Body": .body
                default: .other
                }
                return (role, f.type)
            }
            self.properties = properties
        }

        /// One record. A value that does not decode throws (the block cannot go on); a time that
        /// is not a time gives a record with ``CaptureRecord/problem`` set.
        mutating func read(_ d: inout AvroDecoder) throws(DecodeError) -> CaptureRecord {
            var record = CaptureRecord()
            for (role, type) in fields {
                switch role {
                case .body: record.body = try d.readRawBytes(type)
                case .enqueued:
                    if let text = try? d.peekRawText(type) {
                        _ = try d.readRawBytes(type)
                        if !text.elementsEqual(lastTime) {
                            lastTime = Array(text)
                            lastTicks = CaptureRecord.time(bytes: text)
                        }
                        record.enqueued = lastTicks ?? 0
                        if lastTicks == nil { record.problem = "the capture record's EnqueuedTimeUtc '\(String(decoding: text, as: UTF8.self))' is not a time" }
                    } else {
                        let v = try d.read(type, depth: 1)
                        if let t = CaptureRecord.time(v) { record.enqueued = t } else { record.problem = "the capture record's EnqueuedTimeUtc (\(v)) is not a time" }
                    }
                case .system where properties:
                    if case .record(let r) = try d.read(type, depth: 1) { record.systemProperties = r }
                case .properties where properties:
                    if case .record(let r) = try d.read(type, depth: 1) { record.properties = r }
                case .system, .properties, .other: try d.skip(type, depth: 1)
                case .sequence:
                    if case .bigint(let n) = try d.read(type, depth: 1) { record.sequenceNumber = n }
                case .offset:
                    switch try d.read(type, depth: 1) {
                    case .string(let s): record.offset = Int64(s)
                    case .bigint(let n): record.offset = n
                    default: break
                    }
                }
            }
            return record
        }
    }

    /// Why the record cannot give events (its time is not a time); nil for a good record.
    var problem: String?

    private init() {
        enqueued = 0
        systemProperties = Record()
        properties = Record()
    }

    /// `EnqueuedTimeUtc` as Capture writes it: .NET's invariant `M/d/yyyy h:mm:ss tt`
    /// (`9/29/2016 6:13:21 PM`), or ISO 8601; or a `timestamp-*` value.
    static func time(_ v: Value) -> Int64? {
        switch v {
        case .datetime(let t): return t.ticks
        case .string(let s):
            var s = s
            return s.withUTF8 { time(bytes: $0) }
        default: return nil
        }
    }

    /// The time in `M/d/yyyy h:mm:ss[.fffffff] [AM|PM]` or ISO 8601 text.
    static func time(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func number(maxDigits: Int) -> Int? {
            var v = 0, n = 0
            while i < b.count, n < maxDigits, b[i] >= 0x30, b[i] <= 0x39 {
                v = v * 10 + Int(b[i] - 0x30)
                i += 1
                n += 1
            }
            return n == 0 ? nil : v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let month = number(maxDigits: 2), expect(0x2F), let day = number(maxDigits: 2), expect(0x2F),
              let year = number(maxDigits: 4), expect(0x20), let h = number(maxDigits: 2), expect(0x3A),
              let m = number(maxDigits: 2), expect(0x3A), let sec = number(maxDigits: 2) else {
            return Timestamp(parsing: String(decoding: b, as: UTF8.self))?.ticks
        }
        var fraction: Int64 = 0
        if expect(0x2E) {
            let start = i
            guard let f = number(maxDigits: 7) else { return nil }
            fraction = Int64(f) * Int64([1, 1_000_000, 100_000, 10_000, 1000, 100, 10, 1][i - start])
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        var hour = h
        if expect(0x20) {
            guard i + 2 == b.count, b[i + 1] | 0x20 == 0x6D, (1...12).contains(h) else { return nil }
            switch b[i] | 0x20 {
            case 0x61: hour = h % 12
            case 0x70: hour = h % 12 + 12
            default: return nil
            }
            i += 2
        }
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(m), (0...60).contains(sec) else {
            return nil
        }
        return Timestamp(year: year, month: month, day: day, hour: hour, minute: m, second: sec, ticks: fraction).ticks
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
