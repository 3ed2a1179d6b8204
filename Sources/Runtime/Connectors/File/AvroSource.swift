import Foundation
import Planner

/// Reads Avro Object Container Files as events: one file, or every `.avro` file under a
/// directory, or the files a glob matches.
///
/// * Plain Avro: each record is an event whose fields are read by name, as a JSON object's are.
///   Files are read one after another in path order.
/// * Event Hubs Capture (`format = 'eventhubs-capture'`): each record's `Body` holds the event
///   text (a JSON object, an array of objects, or JSON Lines), which arrives at the record's
///   `EnqueuedTimeUtc`. Files are merged by that time, so the captures of several partitions
///   replay in the order Event Hubs enqueued them. A file is opened only when the merge reaches
///   its first record's time, so a month of files is never open at once.
package final class AvroSource: EventSource, RecordSkipping {
    package let input: String
    private let capture: Bool
    private let context: RuntimeContext
    @exclusivity(unchecked) private var decoder: EventDecoder
    private let arrivalField: String?
    private let defaultArrival: Int64
    private let metadataColumns: [(column: Int, property: MetadataProperty)]
    /// Whether a metadata column reads a capture's `SystemProperties` or `Properties`.
    private let readsProperties: Bool
    /// Every file to read, in the merge's order: by first enqueued time (captures), then path.
    private let files: [(path: String, first: Int64)]
    /// Files being read, each with its next record already decoded (the merge compares them).
    @exclusivity(unchecked) private var open: [OpenFile] = []
    @exclusivity(unchecked) private var nextFile = 0
    @exclusivity(unchecked) private var started = false

    /// A file being read, and the record it will give next.
    private final class OpenFile {
        let index: Int
        let reader: AvroFileReader
        var head: Head?
        /// Where `head` starts, for checkpoints.
        var headPosition: (block: Int64, record: Int) = (0, 0)
        /// The time of the last good record, given to a malformed one that follows.
        var time: Int64
        /// A capture file's record reader.
        var records: CaptureRecord.Reader?

        init(index: Int, reader: AvroFileReader, time: Int64) {
            self.index = index
            self.reader = reader
            self.time = time
        }
    }

    /// A decoded record: an event's fields, a capture record, or one that cannot be an event.
    private enum Head {
        case plain(Record)
        case capture(CaptureRecord)
        case malformed(String)
    }

    package init(input: String, pattern: String, capture: Bool, arrivalField: String?, layout: InputLayout,
                compatibility: CompatibilityLevel, runStart: Int64, context: RuntimeContext) throws {
        self.input = input
        self.capture = capture
        self.context = context
        self.arrivalField = arrivalField
        defaultArrival = runStart
        decoder = EventDecoder(layout: layout, format: .json, arrivalField: capture ? nil : arrivalField, compatibility: compatibility)
        metadataColumns = layout.fields.enumerated().compactMap { i, field in
            MetadataProperty(layoutField: field).map { (layout.column(ofField: i), $0) }
        }
        readsProperties = metadataColumns.contains { _, p in
            switch p {
            case .key, .header, .iotHub, .group(.eventHub), .group(.iotHub), .group(.user): true
            default: false
            }
        }
        let paths = try Self.files(matching: pattern)
        guard !paths.isEmpty else { throw ConnectorError("no Avro files match '\(pattern)'") }
        if capture {
            var timed: [(path: String, first: Int64)] = []
            for p in paths {
                let reader = try AvroFileReader(path: p)
                // A file without records (Capture writes them for idle windows) is left out.
                var records = try Self.captureReader(reader, properties: false)
                guard let first = try reader.next({ (d: inout AvroDecoder) throws(DecodeError) in try records.read(&d) }) else { continue }
                timed.append((p, first.problem == nil ? first.enqueued : .min))
            }
            files = timed.sorted { ($0.first, $0.path) < ($1.first, $1.path) }
        } else {
            files = paths.map { ($0, 0) }
        }
    }

    /// The file itself, every `.avro` file under a directory (recursively), or a glob's matches, sorted.
    static func files(matching pattern: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [pattern] }
            guard let walk = FileManager.default.enumerator(atPath: pattern) else { return [] }
            var out: [String] = []
            while let rel = walk.nextObject() as? String {
                if rel.lowercased().hasSuffix(".avro") { out.append(pattern + "/" + rel) }
            }
            return out.sorted()
        }
        guard pattern.contains(where: { "*?[".contains($0) }) else { throw ConnectorError("'\(pattern)' does not exist") }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The reader of a capture file's records; throws when the file's schema is not a capture's.
    private static func captureReader(_ reader: AvroFileReader, properties: Bool) throws -> CaptureRecord.Reader {
        let names = reader.schema.fieldNames
        for f in CaptureRecord.requiredFields where !names.contains(f) {
            throw ConnectorError("'\(reader.path)' is not an Event Hubs Capture file: its records have no '\(f)' field (they have \(names.joined(separator: ", ")))")
        }
        do throws(DecodeError) { return try CaptureRecord.Reader(schema: reader.schema, properties: properties) } catch {
            throw ConnectorError("'\(reader.path)': \(error.message)")
        }
    }

    private func start() throws {
        guard !started else { return }
        started = true
        try openDue()
    }

    /// Opens the files the merge has reached: the next one when none is open (plain files, or a gap
    /// between captures), and every capture whose first record is not later than the earliest head.
    private func openDue() throws {
        while nextFile < files.count {
            if !open.isEmpty {
                guard capture, files[nextFile].first <= open.reduce(Int64.max, { min($0, $1.time) }) else { return }
            }
            try openFile(nextFile, at: nil)
            nextFile += 1
        }
    }

    private func openFile(_ index: Int, at position: (block: Int64, record: Int)?) throws {
        let reader = try AvroFileReader(path: files[index].path)
        let file = OpenFile(index: index, reader: reader, time: files[index].first)
        if capture { file.records = try Self.captureReader(reader, properties: readsProperties) }
        reader.onCorruptBlock = { [weak self, unowned file] reason, lost in
            self?.lost(reason, records: lost, file: file.reader.path)
        }
        if let position { try reader.seek(block: position.block, record: position.record) }
        try advance(file)
        if file.head != nil { open.append(file) }
    }

    /// Decodes `file`'s next record into its head.
    private func advance(_ file: OpenFile) throws {
        file.headPosition = file.reader.position
        let schema = file.reader.schema
        if var records = file.records {
            defer { file.records = records }
            guard let record = try file.reader.next({ (d: inout AvroDecoder) throws(DecodeError) in try records.read(&d) }) else {
                file.head = nil
                return
            }
            if let problem = record.problem {
                file.head = .malformed(problem)
            } else {
                file.time = record.enqueued
                file.head = .capture(record)
            }
        } else {
            guard let value = try file.reader.next() else {
                file.head = nil
                return
            }
            if case .record(let r) = value { file.head = .plain(r) } else { file.head = .malformed("the file's records are \(schema.description), not records") }
        }
    }

    /// The open file whose head comes first: the earliest time, then the earliest file.
    private func earliest() -> OpenFile? {
        open.min { ($0.time, $0.index) < ($1.time, $1.index) }
    }

    /// Moves past `file`'s head; closes the file at its end and opens what is due.
    private func consume(_ file: OpenFile) throws {
        try advance(file)
        if file.head == nil { open.removeAll { $0 === file } }
        try openDue()
    }

    package var position: [UInt8] {
        var w = StateWriter()
        w.write(started)
        w.write(open.count)
        for f in open.sorted(by: { $0.index < $1.index }) {
            w.write(files[f.index].path)
            w.write(f.headPosition.block)
            w.write(f.headPosition.record)
        }
        // The last file opened: it and every file before it in the merge's order are open or done.
        let last = nextFile > 0 ? files[nextFile - 1] : nil
        w.write(last != nil)
        if let last {
            w.write(last.path)
            w.write(last.first)
        }
        return w.bytes
    }

    package func restore(position: [UInt8]) throws {
        var r = StateReader(bytes: position)
        guard try r.readBool() else { return }
        started = true
        var positions: [String: (Int64, Int)] = [:]
        for _ in 0..<(try r.readCount()) {
            let path = try r.readString()
            positions[path] = (try r.readInt64(), try r.readInt())
        }
        var lastKey: (Int64, String)?
        if try r.readBool() {
            let path = try r.readString()
            lastKey = (try r.readInt64(), path)
        }
        open = []
        nextFile = 0
        for (i, f) in files.enumerated() {
            guard let lastKey, (f.first, f.path) <= lastKey else { break }
            nextFile = i + 1
            if let p = positions.removeValue(forKey: f.path) { try openFile(i, at: (p.0, p.1)) }
        }
        if let missing = positions.keys.first {
            throw ConnectorError("'\(missing)', which the checkpoint was reading, is no longer among the input's files: the input changed since the checkpoint")
        }
        try openDue()
    }

    package func nextBatch(maxRows: Int) throws -> EventBatch? {
        try start()
        var batch = EventBatch(width: decoder.width, capacity: maxRows)
        var events = 0
        defer { context.counters.inputEvents[input, default: 0] += events }
        let processed = context.clock.now
        while batch.count < maxRows, let file = earliest(), let head = file.head {
            let at = file.headPosition
            let path = file.reader.path
            switch head {
            case .plain(let record):
                let arrival = arrivalField.flatMap { record[$0] }.flatMap(CaptureRecord.time) ?? defaultArrival
                let before = batch.count
                do throws(DecodeError) {
                    try decoder.decode(record, into: &batch, arrival: arrival)
                    if batch.count > before {
                        fill(&batch, row: before) { property in
                            self.blobMetadata(property, file: file, eventOffset: at)
                        }
                    }
                } catch {
                    malformed(error.message, raw: "\(Value.record(record))", position: Self.describe(path, at))
                }
                events += 1
            case .capture(let record):
                events += decodeBody(record, file: file, at: at, processed: processed, into: &batch)
            case .malformed(let message):
                malformed(message, raw: "", position: Self.describe(path, at))
                events += 1
            }
            try consume(file)
        }
        if batch.isEmpty && events == 0 && open.isEmpty { return nil }
        return batch
    }

    /// The events of a capture record's body: a JSON object, an array of objects, or JSON Lines.
    private func decodeBody(_ record: CaptureRecord, file: OpenFile, at: (block: Int64, record: Int), processed: Int64,
                            into batch: inout EventBatch) -> Int {
        let position = { Self.describe(file.reader.path, at) }
        guard let body = record.body else {
            malformed("the capture record has no Body", raw: "", position: position())
            return 1
        }
        var events = 0
        let lastModified = file.reader.lastModified
        func one(_ text: UnsafeBufferPointer<UInt8>, ordinal: Int64) {
            if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) { return }
            events += 1
            let before = batch.count
            do throws(DecodeError) {
                try decoder.decode(text, into: &batch, defaultArrival: record.enqueued)
                if batch.count > before {
                    fill(&batch, row: before) { property in
                        record.metadata(property, file: file.reader.path, lastModified: lastModified, processed: processed, ordinal: ordinal)
                    }
                }
            } catch {
                malformed(error.message, raw: String(decoding: text.prefix(4096), as: UTF8.self), position: position())
            }
        }
        body.withUnsafeBufferPointer { all in
            var c = JSONCursor(bytes: all, booleansAsBit: true)
            c.skipWhitespace()
            if c.peek() == UInt8(ascii: "[") {
                c.pos += 1
                var ordinal: Int64 = 0
                while true {
                    c.skipWhitespace()
                    if c.peek() == UInt8(ascii: ",") { c.pos += 1; c.skipWhitespace() }
                    guard c.pos < all.count, c.peek() != UInt8(ascii: "]") else { break }
                    let start = c.pos
                    do throws(DecodeError) { try c.skipValue() } catch {
                        malformed("the Body's JSON array is invalid: \(error.message)", raw: String(decoding: all.prefix(4096), as: UTF8.self), position: position())
                        events += 1
                        return
                    }
                    one(UnsafeBufferPointer(rebasing: all[start..<c.pos]), ordinal: ordinal)
                    ordinal += 1
                }
            } else {
                var ordinal: Int64 = 0
                for line in all.split(separator: 0x0A, omittingEmptySubsequences: false) {
                    one(UnsafeBufferPointer(rebasing: line), ordinal: ordinal)
                    ordinal += 1
                }
            }
        }
        return events
    }

    private func fill(_ batch: inout EventBatch, row: Int, _ value: (MetadataProperty) -> Value) {
        for (column, property) in metadataColumns { batch.values[row * batch.width + column] = value(property) }
    }

    private func blobMetadata(_ property: MetadataProperty, file: OpenFile, eventOffset at: (block: Int64, record: Int)) -> Value {
        switch property {
        case .eventId: return .string(EventID.of(file.reader.path, partition: at.block, offset: Int64(at.record)))
        case .blobName: return .string(file.reader.path)
        case .blobLastModified: return file.reader.lastModified.map { .datetime(Timestamp(ticks: $0)) } ?? .null
        case .group(.blob):
            return .record(Record(names: ["BlobName", "BlobLastModifiedUtcTime"],
                                  values: [blobMetadata(.blobName, file: file, eventOffset: at), blobMetadata(.blobLastModified, file: file, eventOffset: at)]))
        default: return .null
        }
    }

    private static func describe(_ path: String, _ at: (block: Int64, record: Int)) -> String {
        "\(path):block \(at.block) record \(at.record + 1)"
    }

    /// Skips the next record in the merge's order without turning it into events.
    func skipRecord() throws -> (raw: [UInt8], position: String)? {
        try start()
        guard let file = earliest() else { return nil }
        let position = Self.describe(file.reader.path, file.headPosition)
        var raw = ""
        switch file.head {
        case .plain(let r)?: raw = "\(Value.record(r))"
        case .capture(let c)?: raw = c.body.map { String(decoding: $0.prefix(4096), as: UTF8.self) } ?? ""
        default: break
        }
        try consume(file)
        return (Array(raw.utf8.prefix(4096)), position)
    }

    /// A block that could not be read: its records are counted and dead-lettered as one entry.
    private func lost(_ reason: String, records: Int, file: String) {
        context.counters.malformedEvents += records
        context.onRowError?("\(file): \(records) event(s) skipped: \(reason)")
        context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: "\(reason) (\(records) records)",
                                       event: Record(names: ["raw"], values: [.string("")]),
                                       arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: file))
    }

    private func malformed(_ message: String, raw: String, position: String) {
        context.counters.malformedEvents += 1
        context.onRowError?("\(position): malformed event skipped: \(message)")
        context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: message,
                                       event: Record(names: ["raw"], values: [.string(String(raw.prefix(4096)))]),
                                       arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: position))
    }
}
