import CSnappy
import CZlib
import Planner

/// Options of Avro file outputs.
package struct AvroOptions: Sendable, Hashable {
    /// The block codec: `null`, `deflate` or `snappy` (Avro's names). Snappy by default, as Spark's
    /// Avro writer: deflate makes files about a tenth smaller at several times the cost.
    package var codec: String
    /// Rows per block; the first block fixes the file's schema.
    package var blockRows: Int

    package init(codec: String = "snappy", blockRows: Int = 4000) {
        self.codec = codec
        self.blockRows = blockRows
    }
}

/// What an Avro field holds, as the rows' values make it. Every field is a union with `null`.
enum AvroKind: UInt8 {
    /// Only NULLs so far; written as a string.
    case unknown
    case long, double, string, boolean
    /// `datetime` in whole microseconds: `long` with logical type `timestamp-micros`.
    case timestampMicros
    /// `datetime` with 100 ns digits, records and arrays: text (ISO 8601, JSON).
    case text

    static func of(_ v: Value) -> AvroKind? {
        switch v {
        case .null: nil
        case .bigint: .long
        case .float: .double
        case .string: .string
        case .bit: .boolean
        case .datetime(let t): t.ticks % 10 == 0 ? .timestampMicros : .text
        case .record, .array: .text
        }
    }

    /// The kind a field of this kind becomes to take `v`; `nil` if it cannot. Before the schema is
    /// fixed (`widen`) NULL-only fields take any kind, longs widen to doubles and times to text. Text
    /// fields take text, times (ISO 8601) and records and arrays (JSON).
    func accepting(_ v: Value, widen: Bool) -> AvroKind? {
        guard let k = AvroKind.of(v) else { return self }
        if k == self { return self }
        let textual = k == .string || k == .text || k == .timestampMicros
        switch self {
        case .unknown: return widen ? k : (textual ? self : nil)
        case .string, .text: return textual ? self : nil
        case .double: return k == .long ? self : nil
        case .long: return widen && k == .double ? .double : nil
        case .timestampMicros: return widen && (k == .text || k == .string) ? .text : nil
        case .boolean: return nil
        }
    }

    /// The field's type in the schema, a union with `null` first so a field may be NULL.
    var schema: String {
        switch self {
        case .unknown, .string, .text: #"["null","string"]"#
        case .long: #"["null","long"]"#
        case .double: #"["null","double"]"#
        case .boolean: #"["null","boolean"]"#
        case .timestampMicros: #"["null",{"type":"long","logicalType":"timestamp-micros"}]"#
        }
    }
}

/// Writes rows as an Avro Object Container File: a header with the schema (from the rows), then
/// blocks of rows, each compressed by the codec and closed by the file's sync marker.
///
/// Written by hand, after the Avro 1.11 specification: Debian's avro-c drops `logicalType` from the
/// schemas it parses and writes, so its writer cannot mark timestamps as times for readers, and the
/// encoding of flat rows (zig-zag varints, length-prefixed text, IEEE doubles) is a few lines.
final class AvroWriter: FileFormatWriter {
    private let sink: ByteSink
    private let options: AvroOptions
    private let declared: [String]
    private var fields: [(name: String, kind: AvroKind)] = []
    private var index: [String: Int] = [:]
    /// Set when the header is written (the first block); later rows must fit it.
    private var schemaFixed = false
    /// Rows before the schema is fixed, by field position (shorter rows: NULL after their end).
    private var pending: [[Value]] = []
    private var block: [UInt8] = []
    private var blockRows = 0
    private var sync: [UInt8] = []
    private var row: [Value] = []
    private var preloaded = false
    private var cachedNames: [String] = []
    private var cachedFields: [Int] = []

    private static let magic: [UInt8] = [0x4F, 0x62, 0x6A, 0x01]

    init(sink: ByteSink, options: AvroOptions, resume: [UInt8]?, declared: [String] = []) throws {
        self.sink = sink
        self.options = options
        self.declared = declared
        guard let resume, !resume.isEmpty else {
            sync = (0..<16).map { _ in UInt8.random(in: 0...255) }
            return
        }
        // The state starts with the file's length (``fileResumeOffset(_:)``), which the sink applied.
        var r = StateReader(bytes: resume)
        _ = try r.readInt64()
        schemaFixed = try r.readBool()
        sync = try r.readBytes()
        guard sync.count == 16 else { throw StateError("an Avro sync marker is 16 bytes") }
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            guard let kind = AvroKind(rawValue: UInt8(try r.readInt(in: 0..<256, "an Avro field kind"))) else {
                throw StateError("unknown Avro field kind")
            }
            index[name.lowercased()] = fields.count
            fields.append((name, kind))
        }
    }

    var size: Int64 { sink.written + Int64(sink.buffer.count + block.count) + Int64(pending.count * max(fields.count, 1) * 8) }

    /// Reads the row into `row`, by field (adding the fields it names first, if `adding`); false if
    /// it names a field the schema lacks with a value. Rows of one query have the same names in the
    /// same order, so a name is looked up (lower-cased and hashed) only when the one at its position changes.
    private func load(_ r: RowRef, shape: RowShape, adding: Bool) -> Bool {
        var row = self.row, cachedNames = self.cachedNames, cachedFields = self.cachedFields
        row.removeAll(keepingCapacity: true)
        row.append(contentsOf: repeatElement(Value.null, count: fields.count))
        var known = true, position = 0
        shape.forEachField(r) { name, value in
            defer { position += 1 }
            var i: Int
            if position < cachedNames.count, cachedNames[position] == name {
                i = cachedFields[position]
            } else {
                i = index[name.lowercased()] ?? -1
                if position < cachedNames.count {
                    cachedNames[position] = name
                    cachedFields[position] = i
                } else {
                    cachedNames.append(name)
                    cachedFields.append(i)
                }
            }
            if i < 0 {
                if case .null = value, !adding { return }
                guard adding else {
                    known = false
                    return
                }
                i = fields.count
                index[name.lowercased()] = i
                fields.append((name, .unknown))
                row.append(.null)
                cachedNames.removeAll()
                cachedFields.removeAll()
            }
            row[i] = value
        }
        self.row = row
        self.cachedNames = cachedNames
        self.cachedFields = cachedFields
        return known
    }

    func fits(_ r: RowRef, shape: RowShape) -> Bool {
        if !schemaFixed && pending.isEmpty { return true }
        guard load(r, shape: shape, adding: false) || !schemaFixed else { return false }
        preloaded = schemaFixed
        return zip(fields, row).allSatisfy { $0.kind.accepting($1, widen: !schemaFixed) != nil }
    }

    func write(_ r: RowRef, shape: RowShape) throws {
        // ``fits(_:shape:)`` has just read this row, unless the schema was still open.
        if !preloaded { _ = load(r, shape: shape, adding: !schemaFixed) }
        preloaded = false
        for i in fields.indices {
            guard let k = fields[i].kind.accepting(row[i], widen: !schemaFixed) else {
                throw ConnectorError("internal: a row that does not fit the Avro file's schema was written")
            }
            fields[i].kind = k
        }
        if schemaFixed {
            encode(row)
        } else {
            pending.append(row)
        }
        if pending.count + blockRows >= options.blockRows { try writeBlock() }
        try sink.maybeFlush()
    }

    /// The schema: one record whose fields are the rows' columns.
    private var schemaJSON: String {
        var out = #"{"type":"record","name":"row","namespace":"saql","fields":["#
        for (i, f) in fields.enumerated() {
            var name: [UInt8] = []
            JSONWriter.appendString(f.name, to: &name)
            out += (i > 0 ? "," : "") + #"{"name":"# + String(decoding: name, as: UTF8.self) + #","type":"# + f.kind.schema + "}"
        }
        return out + "]}"
    }

    /// Fixes the schema and writes the header, before the first block.
    private func writeHeader() {
        if fields.isEmpty { fields = declared.map { ($0, AvroKind.unknown) } }
        schemaFixed = true
        var h = Self.magic
        Self.appendLong(2, to: &h)
        for (key, value) in [("avro.schema", Array(schemaJSON.utf8)), ("avro.codec", Array(options.codec.utf8))] {
            Self.appendBytes(Array(key.utf8), to: &h)
            Self.appendBytes(value, to: &h)
        }
        Self.appendLong(0, to: &h)
        h += sync
        sink.buffer.append(contentsOf: h)
        for r in pending { encode(r) }
        pending.removeAll()
    }

    /// Appends one row's encoding to the block.
    private func encode(_ r: [Value]) {
        // Encoded into a local and stored back: no exclusivity check per value.
        var out = block
        block = []
        for (i, f) in fields.enumerated() {
            let v = i < r.count ? r[i] : .null
            if case .null = v {
                out.append(0)
                continue
            }
            out.append(2)  // the union's branch 1, zig-zag encoded
            switch (f.kind, v) {
            case (.long, .bigint(let n)): Self.appendLong(n, to: &out)
            case (.double, .bigint(let n)): Self.appendDouble(Double(n), to: &out)
            case (.double, .float(let d)): Self.appendDouble(d, to: &out)
            case (.boolean, .bit(let b)): out.append(b ? 1 : 0)
            case (.timestampMicros, .datetime(let t)): Self.appendLong(t.ticks / 10, to: &out)
            case (_, .string(let s)): Self.appendText(s, to: &out)
            case (_, .datetime(let t)): Self.appendText(t.iso8601, to: &out)
            default: Self.appendText(v.description, to: &out)
            }
        }
        block = out
        blockRows += 1
    }

    /// Writes the rows assembled as one block (the header first if it is not written yet).
    private func writeBlock() throws {
        if !schemaFixed {
            guard !pending.isEmpty else { return }
            writeHeader()
        }
        guard blockRows > 0 else { return }
        let data = try compress(block)
        Self.appendLong(Int64(blockRows), to: &sink.buffer)
        Self.appendLong(Int64(data.count), to: &sink.buffer)
        sink.buffer.append(contentsOf: data)
        sink.buffer.append(contentsOf: sync)
        block.removeAll(keepingCapacity: true)
        blockRows = 0
    }

    private func compress(_ data: [UInt8]) throws -> [UInt8] {
        switch options.codec {
        case "deflate":
            // Raw deflate (RFC 1951), as Avro specifies: zlib without its header and checksum.
            var stream = z_stream()
            guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw ConnectorError("zlib could not start an Avro deflate block")
            }
            defer { deflateEnd(&stream) }
            var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))))
            var input = data
            let status = input.withUnsafeMutableBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    stream.next_in = i.baseAddress
                    stream.avail_in = UInt32(i.count)
                    stream.next_out = o.baseAddress
                    stream.avail_out = UInt32(o.count)
                    return deflate(&stream, Z_FINISH)
                }
            }
            guard status == Z_STREAM_END else { throw ConnectorError("zlib could not compress an Avro block") }
            out.removeSubrange(Int(stream.total_out)...)
            return out
        case "snappy":
            // Snappy, then the big-endian CRC-32 of the uncompressed data.
            var out = try ParquetCompression.snappy.compress(data)
            let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
            out += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
            return out
        default:
            return data
        }
    }

    /// Writes the last block (and the header of a file without rows), makes the file durable and closes it.
    func finish() throws {
        if !schemaFixed { writeHeader() }
        try writeBlock()
        try sink.sync()
        try sink.close()
    }

    /// Rows reach the file in blocks: a flush leaves the block being assembled in memory.
    func flush() throws { try sink.flush() }

    func close() throws { try finish() }

    func checkpoint() throws -> [UInt8] {
        if !schemaFixed && !pending.isEmpty { writeHeader() }
        try writeBlock()
        try sink.sync()
        var w = StateWriter()
        w.write(sink.written)
        w.write(schemaFixed)
        w.write(bytes: sync)
        w.write(fields.count)
        for f in fields {
            w.write(f.name)
            w.write(Int(f.kind.rawValue))
        }
        return w.bytes
    }

    /// Avro's `long`: zig-zag, then 7 bits a byte, low bits first.
    static func appendLong(_ n: Int64, to out: inout [UInt8]) {
        var z = UInt64(bitPattern: (n << 1) ^ (n >> 63))
        while z >= 0x80 {
            out.append(UInt8(z & 0x7F) | 0x80)
            z >>= 7
        }
        out.append(UInt8(z))
    }

    static func appendText(_ s: String, to out: inout [UInt8]) {
        appendLong(Int64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    static func appendBytes(_ b: [UInt8], to out: inout [UInt8]) {
        appendLong(Int64(b.count), to: &out)
        out += b
    }

    static func appendDouble(_ d: Double, to out: inout [UInt8]) {
        let bits = d.bitPattern
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    }
}
