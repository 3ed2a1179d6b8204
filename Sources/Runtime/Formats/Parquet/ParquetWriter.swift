import Planner

/// How Parquet files are laid out: the page codec and when a row group ends.
package struct ParquetOptions: Sendable, Hashable {
    package var compression: String
    /// A row group ends at this many rows...
    package var rowGroupRows: Int
    /// ...or once its columns hold about this many bytes.
    package var rowGroupBytes: Int64

    package init(compression: String = "snappy", rowGroupRows: Int = 122_880, rowGroupBytes: Int64 = 64 << 20) {
        self.compression = compression
        self.rowGroupRows = rowGroupRows
        self.rowGroupBytes = rowGroupBytes
    }
}

/// Writes one Parquet file (format version 1 pages, the footer in Thrift's compact protocol).
///
/// The project's own writer: no Parquet library exists for Swift or in Debian 12. Columns are
/// flat and OPTIONAL: bigint as INT64, float as DOUBLE, nvarchar as UTF-8 BYTE_ARRAY (dictionary
/// encoded when that is smaller), bit as BOOLEAN, datetime as INT64 TIMESTAMP (UTC; MICROS, or NANOS
/// when a value has 100 ns digits), records and arrays as JSON text. Each column chunk has
/// min, max and NULL-count statistics.
///
/// A file's schema is fixed by its first row group. A row that does not fit it (a column whose
/// values change type, a new field) is refused by ``fits(_:shape:)``, and the caller goes on in a
/// new file: nothing is converted lossily or dropped. A checkpoint ends the open row group and
/// records the file's length and row groups, so a restore cuts the file back and writes on.
final class ParquetWriter: FileFormatWriter {
    private let sink: ByteSink
    private let options: ParquetOptions
    private let compression: ParquetCompression
    private var columns: [ParquetColumn] = []
    private var index: [String: Int] = [:]
    /// Set by the first row group; later rows must fit it.
    private var schemaFixed = false
    private var rowGroups: [[UInt8]] = []
    private var rowsWritten: Int64 = 0
    private var pendingRows = 0
    private var rowColumns: [Int] = []
    private var rowNames: [String] = []
    private var rowValues: [Value] = []
    private var cachedNames: [String] = []
    private var cachedColumns: [Int] = []
    private var preloaded = false

    /// The planned column names, which a file without rows declares (as nullable text).
    private let declared: [String]

    init(sink: ByteSink, options: ParquetOptions, resume: [UInt8]?, declared: [String] = []) throws {
        self.sink = sink
        self.options = options
        self.declared = declared
        compression = ParquetCompression(rawValue: options.compression) ?? .snappy
        guard let resume, !resume.isEmpty else {
            sink.buffer.append(contentsOf: Self.magic)
            return
        }
        // The state starts with the file's length (``fileResumeOffset(_:)``), which the sink applied.
        var r = StateReader(bytes: resume)
        _ = try r.readInt64()
        schemaFixed = try r.readBool()
        for _ in 0..<(try r.readCount()) {
            let name = try r.readString()
            guard let kind = ParquetKind(rawValue: UInt8(try r.readInt(in: 0..<256, "a Parquet column kind"))) else {
                throw StateError("unknown Parquet column kind")
            }
            index[name.lowercased()] = columns.count
            columns.append(ParquetColumn(name: name, kind: kind))
        }
        rowsWritten = try r.readInt64()
        for _ in 0..<(try r.readCount()) { rowGroups.append(try r.readBytes()) }
    }

    private static let magic: [UInt8] = Array("PAR1".utf8)

    var size: Int64 { sink.written + Int64(sink.buffer.count) + Int64(columns.reduce(0) { $0 + $1.estimatedBytes }) }

    /// Reads the row's fields into `rowColumns` (each field's column, or -1 for a new one),
    /// `rowNames` and `rowValues`. Rows of one query have the same names in the same order, so a
    /// name is looked up (lower-cased and hashed) only when the name at its position changes.
    private func load(_ row: RowRef, shape: RowShape) {
        // Filled as locals and stored back: no exclusivity check per field.
        var columnsOut = rowColumns, names = rowNames, values = rowValues
        var cachedNames = self.cachedNames, cachedColumns = self.cachedColumns
        columnsOut.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        let index = self.index
        shape.forEachField(row) { name, value in
            let position = names.count
            let column: Int
            if position < cachedNames.count, cachedNames[position] == name {
                column = cachedColumns[position]
            } else {
                column = index[name.lowercased()] ?? -1
                if position < cachedNames.count {
                    cachedNames[position] = name
                    cachedColumns[position] = column
                } else {
                    cachedNames.append(name)
                    cachedColumns.append(column)
                }
            }
            columnsOut.append(column)
            names.append(name)
            values.append(value)
        }
        rowColumns = columnsOut
        rowNames = names
        rowValues = values
        self.cachedNames = cachedNames
        self.cachedColumns = cachedColumns
    }

    /// Before the schema is fixed a row fits if the row group being assembled can take it (widening
    /// as needed); after, if the schema has its fields and types. A row that does not fit finishes
    /// the file, and the next file starts with it.
    func fits(_ row: RowRef, shape: RowShape) -> Bool {
        load(row, shape: shape)
        preloaded = true
        guard schemaFixed else { return acceptsRow() }
        for (c, v) in zip(rowColumns, rowValues) {
            guard c >= 0, columns[c].kind(accepting: v, widen: false) != nil else { return false }
        }
        return true
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        // ``fits(_:shape:)`` has just read this row.
        if !preloaded { load(row, shape: shape) }
        preloaded = false
        for i in rowColumns.indices {
            var c = rowColumns[i]
            let v = rowValues[i]
            if c < 0 {
                c = columns.count
                index[rowNames[i].lowercased()] = c
                columns.append(ParquetColumn(name: rowNames[i], kind: .unknown, rows: pendingRows))
                cachedNames.removeAll()
                cachedColumns.removeAll()
                rowColumns[i] = c
            }
            let column = columns[c]
            guard let k = column.kind(accepting: v, widen: !schemaFixed) else {
                throw ConnectorError("internal: a row that does not fit the Parquet file's schema was written")
            }
            column.widen(to: k)
            column.append(v)
        }
        pendingRows += 1
        for c in columns where c.rows < pendingRows { c.append(.null) }
        // The byte estimate walks every column: checked every 64 rows.
        if pendingRows >= options.rowGroupRows
            || (pendingRows & 63 == 0 && columns.reduce(0, { $0 + $1.estimatedBytes }) >= options.rowGroupBytes) {
            try writeRowGroup()
        }
        try sink.maybeFlush()
    }

    /// Whether the row group being assembled can take the loaded row, widening as needed.
    private func acceptsRow() -> Bool {
        if pendingRows == 0 { return true }
        for (c, v) in zip(rowColumns, rowValues) where c >= 0 {
            if columns[c].kind(accepting: v, widen: true) == nil { return false }
        }
        return true
    }

    /// Encodes the assembled rows as a row group after what the file holds.
    private func writeRowGroup() throws {
        guard pendingRows > 0 else { return }
        var chunks: [[UInt8]] = []
        var total = 0, totalCompressed = 0
        let groupStart = sink.written + Int64(sink.buffer.count)
        for c in columns {
            if c.kind == .unknown && schemaFixed == false { c.widen(to: .string) }
            let chunk = try c.encode(compression)
            let start = sink.written + Int64(sink.buffer.count)
            var dictionaryOffset: Int64?
            if let d = chunk.dictionaryPage {
                dictionaryOffset = start
                sink.buffer.append(contentsOf: d.header)
                sink.buffer.append(contentsOf: d.body)
            }
            let dataOffset = sink.written + Int64(sink.buffer.count)
            sink.buffer.append(contentsOf: chunk.dataPage.header)
            sink.buffer.append(contentsOf: chunk.dataPage.body)
            let compressed = Int(sink.written + Int64(sink.buffer.count) - start)
            total += chunk.uncompressedSize
            totalCompressed += compressed
            let rows = Int64(c.rows)
            chunks.append(ThriftCompactWriter.structBytes { w in
                w.i64(2, start)
                w.structure(3) { m in
                    m.i32(1, c.physicalType)
                    let encodings: [Int32] = chunk.usesDictionary ? [0, 3, 8] : [0, 3]
                    m.list(2, .i32, count: encodings.count) { l in for e in encodings { l.element(e) } }
                    m.list(3, .binary, count: 1) { $0.element(c.name) }
                    m.i32(4, compression.codec)
                    m.i64(5, rows)
                    m.i64(6, Int64(chunk.uncompressedSize))
                    m.i64(7, Int64(compressed))
                    m.i64(9, dataOffset)
                    if let dictionaryOffset { m.i64(11, dictionaryOffset) }
                    m.structure(12, encoded: chunk.statistics)
                }
            })
            c.reset()
        }
        let rows = Int64(pendingRows)
        let ordinal = Int16(truncatingIfNeeded: rowGroups.count)
        rowGroups.append(ThriftCompactWriter.structBytes { w in
            w.list(1, .structure, count: chunks.count) { l in for c in chunks { l.element(encoded: c) } }
            w.i64(2, Int64(total))
            w.i64(3, rows)
            w.i64(5, groupStart)
            w.i64(6, Int64(totalCompressed))
            w.i32(7, Int32(ordinal))
        })
        rowsWritten += rows
        pendingRows = 0
        schemaFixed = true
    }

    /// The footer: the schema, the row groups, the footer's length and the closing magic.
    private func footer() -> [UInt8] {
        let meta = ThriftCompactWriter.structBytes { w in
            w.i32(1, 1)
            w.list(2, .structure, count: columns.count + 1) { l in
                l.element { root in
                    root.string(4, "schema")
                    root.i32(5, Int32(columns.count))
                }
                for c in columns { l.element { c.schemaElement(&$0) } }
            }
            w.i64(3, rowsWritten)
            w.list(4, .structure, count: rowGroups.count) { l in for g in rowGroups { l.element(encoded: g) } }
            w.string(6, "saql")
            // Type-defined order for every column, without which readers ignore text min/max.
            w.list(7, .structure, count: columns.count) { l in for _ in columns { l.element { $0.structure(1) { _ in } } } }
        }
        var out = meta
        appendLE(UInt32(meta.count), to: &out)
        out.append(contentsOf: Self.magic)
        return out
    }

    /// Writes the last row group and the footer, makes the file durable and closes it.
    func finish() throws {
        try writeRowGroup()
        if columns.isEmpty {
            // Readers such as DuckDB refuse a schema without columns.
            for name in declared { columns.append(ParquetColumn(name: name, kind: .string)) }
        }
        sink.buffer.append(contentsOf: footer())
        try sink.sync()
        try sink.close()
    }

    /// Parquet has no partial form: rows reach the file as row groups (when full, at a checkpoint and at the end).
    func flush() throws { try sink.flush() }

    func close() throws { try finish() }

    func checkpoint() throws -> [UInt8] {
        try writeRowGroup()
        try sink.sync()
        var w = StateWriter()
        w.write(sink.written)
        w.write(schemaFixed)
        w.write(columns.count)
        for c in columns {
            w.write(c.name)
            w.write(Int(c.kind.rawValue))
        }
        w.write(rowsWritten)
        w.write(rowGroups.count)
        for g in rowGroups { w.write(bytes: g) }
        return w.bytes
    }
}
