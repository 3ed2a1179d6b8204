import Planner

/// Produces an input's events as batches of rows, with their arrival times.
public protocol EventSource: AnyObject {
    var input: String { get }
    /// The next batch of up to `maxRows` rows; `nil` at the end of the input.
    func nextBatch(maxRows: Int) throws -> EventBatch?
    /// Where the next event comes from, for checkpoints.
    var position: [UInt8] { get }
    /// Continues from a position written by ``position``.
    func restore(position: [UInt8]) throws
}

/// Decodes event text (one JSON object or one CSV record) into a row of an input's layout.
public struct EventDecoder {
    public let layout: InputLayout
    public let width: Int
    private var json: JSONEventParser
    private var csv: CSVEventParser?

    public init(layout: InputLayout, format: DataFormat, arrivalField: String?, compatibility: CompatibilityLevel) {
        self.layout = layout
        width = layout.schema.columns.count
        json = JSONEventParser(layout: layout, arrivalField: arrivalField, compatibility: compatibility)
        csv = format == .csv ? CSVEventParser(layout: layout, arrivalField: arrivalField) : nil
    }

    var isCSV: Bool { csv != nil }

    /// Reads a CSV header line; returns false when it is not a valid header.
    mutating func readHeader(_ line: UnsafeBufferPointer<UInt8>) throws(DecodeError) {
        try csv?.readHeader(line)
    }

    /// Appends the decoded event to `batch`. Throws for malformed text (and leaves `batch` unchanged).
    public mutating func decode(_ text: UnsafeBufferPointer<UInt8>, into batch: inout EventBatch, defaultArrival: Int64) throws(DecodeError) {
        let base = batch.values.count
        batch.values.append(contentsOf: repeatElement(Value.null, count: width))
        do throws(DecodeError) {
            let arrival = try batch.values.withUnsafeMutableBufferPointer { buf throws(DecodeError) -> Int64? in
                // swiftlint:disable:next force_unwrapping
                let row = buf.baseAddress! + base
                if let c = csv { return try c.parse(text, into: row) }
                return try json.parse(text, into: row)
            }
            try enforceDeclaredTypes(&batch.values, base: base)
            batch.times.append(0)
            batch.arrivals.append(arrival ?? defaultArrival)
        } catch {
            batch.values.removeLast(width)
            throw error
        }
    }

    /// CREATE TABLE columns: values convert to the declared type where ASA converts implicitly
    /// (numbers, ISO strings to datetime); anything else makes the event invalid.
    private func enforceDeclaredTypes(_ values: inout [Value], base: Int) throws(DecodeError) {
        for (i, declared) in layout.declaredTypes.enumerated() {
            guard let type = declared else { continue }
            let col = base + layout.column(ofField: i)
            let v = values[col]
            if v.isNull { continue }
            do throws(EvalError) {
                let converted = try Conversions.cast(v, to: type)
                if case .float(let d) = converted, !d.isFinite {
                    throw EvalError("non-finite float")
                }
                values[col] = converted
            } catch {
                throw DecodeError(message: "column '\(layout.fields[i])' does not hold a \(type): \(error.message)", offset: 0)
            }
        }
    }
}

/// Reads a file of JSON Lines, a JSON array of objects, or CSV with a header.
public final class FileSource: EventSource {
    public let input: String
    private let reader: LineReader
    @exclusivity(unchecked) private var decoder: EventDecoder
    private let defaultArrival: Int64
    private let context: RuntimeContext
    private let maxEventBytes: Int
    @exclusivity(unchecked) private var arrayEvents: [UInt8]?
    @exclusivity(unchecked) private var arrayCursor = 0
    @exclusivity(unchecked) private var started = false

    public init(input: String, path: String, format: DataFormat, arrivalField: String?, layout: InputLayout,
                compatibility: CompatibilityLevel, runStart: Int64, context: RuntimeContext, maxEventBytes: Int = 1 << 20) throws {
        self.input = input
        reader = try LineReader(path: path)
        decoder = EventDecoder(layout: layout, format: format, arrivalField: arrivalField, compatibility: compatibility)
        defaultArrival = runStart
        self.context = context
        self.maxEventBytes = maxEventBytes
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

    /// Where the next event starts (for checkpoints).
    public var position: [UInt8] {
        var w = StateWriter()
        w.write(started)
        w.write(reader.offset)
        w.write(reader.lineNumber)
        w.write(arrayCursor)
        return w.bytes
    }

    /// Continues from a position written by ``position``.
    public func restore(position: [UInt8]) throws {
        var r = StateReader(bytes: position)
        guard try r.readBool() else { return }
        let offset = try r.readInt64(), line = try r.readInt(), cursor = try r.readInt()
        try start()
        if arrayEvents != nil { arrayCursor = cursor } else { try reader.seek(to: offset, lineNumber: line) }
    }

    public func nextBatch(maxRows: Int) throws -> EventBatch? {
        try start()
        var batch = EventBatch(width: decoder.width, capacity: maxRows)
        if arrayEvents != nil { return try nextArrayBatch(&batch, maxRows: maxRows) }
        // The decoder lives in a local for the loop: no exclusivity checks per event.
        var local = decoder
        var events = 0
        defer {
            decoder = local
            context.counters.inputEvents[input, default: 0] += events
        }
        while batch.count < maxRows {
            let more = try reader.nextLine { line in
                if decodeLine(line, decoder: &local, into: &batch, position: { "\(self.reader.path):\(self.reader.lineNumber)" }) {
                    events += 1
                }
            }
            if !more { break }
        }
        if batch.isEmpty && events == 0 { return nil }
        return batch
    }

    /// Decodes one event into `batch`; returns false for blank lines. Malformed events are reported.
    private func decodeLine(_ line: UnsafeBufferPointer<UInt8>, decoder: inout EventDecoder, into batch: inout EventBatch,
                            position: () -> String) -> Bool {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return false }
        if line.count > maxEventBytes {
            malformed("event is larger than \(maxEventBytes) bytes", line: line, position: position())
            return true
        }
        do throws(DecodeError) {
            try decoder.decode(line, into: &batch, defaultArrival: defaultArrival)
        } catch {
            malformed(error.message, line: line, position: position())
        }
        return true
    }

    private func malformed(_ message: String, line: UnsafeBufferPointer<UInt8>, position: String) {
        context.counters.malformedEvents += 1
        context.onRowError?("\(position): malformed event skipped: \(message)")
        context.deadLetter?(DeadLetter(reason: .malformed, input: input, detail: message,
                                       event: Record(names: ["raw"], values: [.string(String(decoding: line.prefix(4096), as: UTF8.self))]),
                                       arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: position))
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
                              position: { "\(self.reader.path):byte \(start)" }) {
                    context.counters.inputEvents[input, default: 0] += 1
                }
            }
            arrayCursor = c.pos
        }
        return batch.isEmpty && arrayCursor >= bytes.count ? nil : batch
    }
}
