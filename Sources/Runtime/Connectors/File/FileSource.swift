import Planner

/// Reads a file of JSON Lines, a JSON array of objects, or CSV with a header.
package final class FileSource: EventSource, RecordSkipping {
    package let input: String
    private let reader: LineReader
    @exclusivity(unchecked) private var decoder: EventDecoder
    private let defaultArrival: Int64
    private let context: RuntimeContext
    private let maxEventBytes: Int
    /// ``CrashPoint/eventTrigger``.
    private let crashTrigger = CrashPoint.eventTrigger
    @exclusivity(unchecked) private var arrayEvents: [UInt8]?
    @exclusivity(unchecked) private var arrayCursor = 0
    @exclusivity(unchecked) private var started = false
    /// Columns that hold `GetMetadataPropertyValue` results (`EventId`, `BlobName`).
    private let metadataColumns: [(column: Int, property: MetadataProperty)]
    /// What reads did that the run thread reports: events read and malformed ones. Reads may run on
    /// the read-ahead thread, where the run's counters and dead letters must not be touched.
    private struct ReadReport {
        var events = 0
        var malformed: [(message: String, raw: String, position: String)] = []
    }
    @exclusivity(unchecked) private var report = ReadReport()
    /// One read-ahead batch: the rows (nil at the end), what to report, and the position after it.
    private struct Ahead {
        var batch: EventBatch?
        var report: ReadReport
        var position: [UInt8]
        var error: (any Error)?
    }
    /// The read-ahead lanes: lane k reads batches k, k + lanes, ... with a reader of its own and
    /// passes over the others' lines without decoding them. Batches are handed out in turn.
    @exclusivity(unchecked) private var lanes: [ReadAhead<Ahead>] = []
    @exclusivity(unchecked) private var nextLane = 0
    /// While reading ahead: the position after the last batch handed out (this source's own reader
    /// stays where reading ahead began).
    @exclusivity(unchecked) private var consumed: [UInt8]?
    /// A source of the same file and layout, for a lane.
    private let sibling: () throws -> FileSource

    package init(input: String, path: String, format: DataFormat, arrivalField: String?, layout: InputLayout,
                compatibility: CompatibilityLevel, runStart: Int64, context: RuntimeContext, maxEventBytes: Int = 1 << 20,
                readChunk: Int = 4 << 20) throws {
        self.input = input
        reader = try LineReader(path: path, chunk: readChunk)
        decoder = EventDecoder(layout: layout, format: format, arrivalField: arrivalField, compatibility: compatibility)
        reader.quotedNewlines = decoder.isCSV
        defaultArrival = runStart
        self.context = context
        self.maxEventBytes = maxEventBytes
        sibling = {
            // A lane reads in smaller chunks: there are several of them (a long line still grows the buffer).
            try FileSource(input: input, path: path, format: format, arrivalField: arrivalField, layout: layout,
                           compatibility: compatibility, runStart: runStart, context: context, maxEventBytes: maxEventBytes,
                           readChunk: 1 << 20)
        }
        metadataColumns = layout.fields.enumerated().compactMap { i, field in
            MetadataProperty(layoutField: field).map { (layout.column(ofField: i), $0) }
        }
    }

    /// Reads what precedes the events: a CSV header, or a whole JSON array.
    private func start() throws {
        guard !started else { return }
        started = true
        if decoder.isCSV {
            var headerError: DecodeError?
            _ = try reader.nextLine { line in
                do throws(DecodeError) { try decoder.readHeader(line) } catch { headerError = error }
            }
            if let headerError { throw ConnectorError("\(reader.path):1: invalid CSV header: \(headerError.message)") }
        } else if try reader.firstSignificantByte() == UInt8(ascii: "[") {
            arrayEvents = try reader.readAll()
        }
    }

    /// Where the next event handed out starts (for checkpoints).
    package var position: [UInt8] { consumed ?? readerPosition }

    /// Where the reader's next event starts.
    private var readerPosition: [UInt8] {
        var w = StateWriter()
        w.write(started)
        w.write(reader.offset)
        w.write(reader.lineNumber)
        w.write(arrayCursor)
        return w.bytes
    }

    /// Continues from a position written by ``position``.
    package func restore(position: [UInt8]) throws {
        try stopReadingAhead(rewind: false)
        try seek(position)
    }

    private func seek(_ position: [UInt8]) throws {
        var r = StateReader(bytes: position)
        guard try r.readBool() else { return }
        let offset = try r.readInt64(), line = try r.readInt(), cursor = try r.readInt()
        try start()
        if arrayEvents != nil { arrayCursor = cursor } else { try reader.seek(to: offset, lineNumber: line) }
    }

    /// Batches of the run's batch size are read ahead, on threads of their own, when the run allows
    /// it (``RuntimeContext/readAhead``) and the file is lines (JSON Lines, CSV); any other size (one
    /// event at a time for the poison guard, small paced batches) stops that, rewinds to the last
    /// batch handed out and reads here. A batch is `maxRows` events (lines that are not blank,
    /// malformed ones included), however it is read.
    package func nextBatch(maxRows: Int) throws -> EventBatch? {
        // What the run saw as this batch's start (before a CSV header is read, say): the position
        // the poison guard's record names.
        let handedOut = position
        try start()
        guard let plan = context.readAhead, plan.rows == maxRows, arrayEvents == nil else {
            try stopReadingAhead(rewind: true)
            return try readReported(maxRows: maxRows)
        }
        if lanes.isEmpty { try startReadingAhead(rows: plan.rows, lanes: plan.lanes, handedOut: handedOut) }
        guard let item = lanes[nextLane].next() else { return nil }
        nextLane = (nextLane + 1) % lanes.count
        consumed = item.position
        apply(item.report)
        if let error = item.error { throw error }
        return item.batch
    }

    private func startReadingAhead(rows: Int, lanes count: Int, handedOut: [UInt8]) throws {
        let guardian = context.crashGuard, input = input, begin = readerPosition
        for lane in 0..<count {
            let source = try sibling()
            try source.seek(begin)
            var skip = lane * rows
            var first = lane == 0 ? handedOut : nil
            lanes.append(ReadAhead<Ahead>(depth: 4, name: "saql read \(input) \(lane)") {
                do {
                    let atEnd = try !source.skipEvents(skip)
                    skip = (count - 1) * rows
                    let start = first ?? source.readerPosition
                    first = nil
                    if atEnd { return (Ahead(batch: nil, report: source.takeReport(), position: start), true) }
                    guardian?.armReader(lane: lane, input: input, batchStart: start)
                    defer { guardian?.disarmReader(lane: lane) }
                    do {
                        let batch = try source.read(maxRows: rows)
                        return (Ahead(batch: batch, report: source.takeReport(), position: source.readerPosition), batch == nil)
                    } catch {
                        return (Ahead(batch: nil, report: source.takeReport(), position: start, error: error), true)
                    }
                } catch {
                    return (Ahead(batch: nil, report: source.takeReport(), position: source.readerPosition, error: error), true)
                }
            })
        }
        nextLane = 0
        consumed = handedOut
    }

    /// Passes over `count` events (lines that are not blank) without decoding them; false when the
    /// file ends first.
    private func skipEvents(_ count: Int) throws -> Bool {
        var left = count
        while left > 0 {
            let more = try reader.nextLine { line in
                if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { left -= 1 }
            }
            if !more { return false }
        }
        return true
    }

    /// Ends reading ahead; with `rewind`, the reader goes to the last batch handed out.
    private func stopReadingAhead(rewind: Bool) throws {
        guard !lanes.isEmpty else { return }
        for lane in lanes { lane.stop() }
        lanes = []
        if rewind, let consumed { try seek(consumed) }
        consumed = nil
    }

    package func close() { try? stopReadingAhead(rewind: false) }

    private func takeReport() -> ReadReport {
        defer { report = ReadReport() }
        return report
    }

    /// Counts and dead-letters what reads did, on the run thread.
    private func apply(_ r: ReadReport) {
        if r.events > 0 { context.counters.inputEvents[input, default: 0] += r.events }
        for m in r.malformed {
            context.counters.malformedEvents += 1
            context.onRowError?("\(m.position): malformed event skipped: \(m.message)")
            context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: m.message,
                                           event: Record(names: ["raw"], values: [.string(m.raw)]),
                                           arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: m.position))
        }
    }

    private func readReported(maxRows: Int) throws -> EventBatch? {
        defer { apply(takeReport()) }
        return try read(maxRows: maxRows)
    }

    private func read(maxRows: Int) throws -> EventBatch? {
        try start()
        var batch = EventBatch(width: decoder.width, capacity: maxRows)
        if arrayEvents != nil { return try nextArrayBatch(&batch, maxRows: maxRows) }
        // The decoder lives in a local for the loop: no exclusivity checks per event.
        var local = decoder
        var events = 0
        defer {
            decoder = local
            report.events += events
        }
        while events < maxRows {
            let more = try reader.nextLine { line in
                if decodeLine(line, decoder: &local, into: &batch, eventOffset: Int64(reader.recordLine),
                              position: { "\(self.reader.path):\(self.reader.recordLine)" }) {
                    events += 1
                }
            }
            if !more { break }
        }
        if batch.isEmpty && events == 0 { return nil }
        return batch
    }

    /// Skips the next non-blank line (or array element) without decoding it.
    func skipRecord() throws -> (raw: [UInt8], position: String)? {
        try stopReadingAhead(rewind: true)
        try start()
        if let bytes = arrayEvents {
            return try bytes.withUnsafeBufferPointer { all throws -> (raw: [UInt8], position: String)? in
                var c = JSONCursor(bytes: all, booleansAsBit: true)
                c.pos = arrayCursor
                if arrayCursor == 0 {
                    c.skipWhitespace()
                    c.pos += 1  // [
                }
                c.skipWhitespace()
                if c.peek() == UInt8(ascii: ",") { c.pos += 1; c.skipWhitespace() }
                guard c.pos < all.count, c.peek() != UInt8(ascii: "]") else { arrayCursor = all.count; return nil }
                let start = c.pos
                do throws(DecodeError) { try c.skipValue() } catch {
                    throw ConnectorError("\(reader.path): invalid JSON array at byte \(error.offset): \(error.message)")
                }
                arrayCursor = c.pos
                return (Array(all[start..<min(c.pos, start + 4096)]), "\(reader.path):byte \(start)")
            }
        }
        var raw: [UInt8]?
        while raw == nil {
            let more = try reader.nextLine { line in
                if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { raw = Array(line.prefix(4096)) }
            }
            if !more { break }
        }
        return raw.map { ($0, "\(reader.path):\(reader.recordLine)") }
    }

    /// Every remaining event as one batch (a reference table).
    func readAll() throws -> EventBatch {
        var table = EventBatch(width: decoder.width)
        while let b = try readReported(maxRows: 4096) {
            table.values += b.values
            table.times += b.times
        }
        return table
    }

    /// Decodes one event into `batch`; returns false for blank lines. Malformed events are reported.
    /// `eventOffset` (the line number, or the byte position in a JSON array) identifies the event for `EventId`.
    private func decodeLine(_ line: UnsafeBufferPointer<UInt8>, decoder: inout EventDecoder, into batch: inout EventBatch,
                            eventOffset: Int64, position: () -> String) -> Bool {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return false }
        if line.count > maxEventBytes {
            malformed("event is larger than \(maxEventBytes) bytes", line: line, position: position())
            return true
        }
        if let crashTrigger, line.firstRange(of: crashTrigger) != nil { fatalError("SAQL_CRASH_ON matched an event") }
        let before = batch.count
        do throws(DecodeError) {
            try decoder.decode(line, into: &batch, defaultArrival: defaultArrival)
            if !metadataColumns.isEmpty && batch.count > before { fillMetadata(&batch, row: before, eventOffset: eventOffset) }
        } catch {
            malformed(error.message, line: line, position: position())
        }
        return true
    }

    private func fillMetadata(_ batch: inout EventBatch, row: Int, eventOffset: Int64) {
        for (column, property) in metadataColumns {
            let value: Value
            switch property {
            case .eventId: value = .string(EventID.of(reader.path, partition: 0, offset: eventOffset))
            case .blobName: value = .string(reader.path)
            case .blobLastModified: value = reader.lastModified.map { .datetime(Timestamp(ticks: $0)) } ?? .null
            case .group(.blob):
                value = .record(Record(names: ["BlobName", "BlobLastModifiedUtcTime"],
                                       values: [.string(reader.path), reader.lastModified.map { .datetime(Timestamp(ticks: $0)) } ?? .null]))
            default: value = .null
            }
            batch.values[row * batch.width + column] = value
        }
    }

    private func malformed(_ message: String, line: UnsafeBufferPointer<UInt8>, position: String) {
        report.malformed.append((message, String(decoding: line.prefix(4096), as: UTF8.self), position))
    }

    /// Reads objects of a top-level JSON array, one at a time.
    private func nextArrayBatch(_ batch: inout EventBatch, maxRows: Int) throws -> EventBatch? {
        guard let bytes = arrayEvents else { return nil }
        try bytes.withUnsafeBufferPointer { all in
            var c = JSONCursor(bytes: all, booleansAsBit: true)
            c.pos = arrayCursor
            if arrayCursor == 0 {
                c.skipWhitespace()
                c.pos += 1  // [
            }
            while batch.count < maxRows {
                c.skipWhitespace()
                if c.peek() == UInt8(ascii: "]") || c.pos >= all.count { c.pos = all.count; break }
                if c.peek() == UInt8(ascii: ",") { c.pos += 1; c.skipWhitespace() }
                let start = c.pos
                do throws(DecodeError) { try c.skipValue() } catch {
                    throw ConnectorError("\(reader.path): invalid JSON array at byte \(error.offset): \(error.message)")
                }
                if decodeLine(UnsafeBufferPointer(rebasing: all[start..<c.pos]), decoder: &decoder, into: &batch,
                              eventOffset: Int64(start), position: { "\(self.reader.path):byte \(start)" }) {
                    report.events += 1
                }
            }
            arrayCursor = c.pos
        }
        return batch.isEmpty && arrayCursor >= bytes.count ? nil : batch
    }
}
