import Planner

/// What a Parquet column holds, as the rows' values make it (ASA types values, not columns).
enum ParquetKind: UInt8 {
    /// Only NULLs so far; written as a string column.
    case unknown
    case int64, double, string, bool
    /// Records and arrays, as JSON text (Parquet's JSON logical type).
    case json
    /// `datetime`: microseconds when every value is whole microseconds, else nanoseconds.
    case timestampMicros, timestampNanos

    /// The kind a non-NULL value asks for; `nil` for NULL.
    static func of(_ v: Value) -> ParquetKind? {
        switch v {
        case .null: return nil
        case .bigint: return .int64
        case .float: return .double
        case .string: return .string
        case .bit: return .bool
        case .record, .array: return .json
        case .datetime(let t):
            if t.ticks % 10 == 0 { return .timestampMicros }
            return nanos(t.ticks) != nil ? .timestampNanos : .string
        }
    }

    /// Nanoseconds since 1970 for 100 ns ticks, if they fit in 64 bits (years 1677 to 2262).
    static func nanos(_ ticks: Int64) -> Int64? {
        let (n, overflow) = ticks.multipliedReportingOverflow(by: 100)
        return overflow ? nil : n
    }
}

/// One column of the row group being assembled: definition levels and typed values, with a
/// dictionary for text. Values are converted only when a column widens (bigint to float, microsecond
/// to nanosecond times), which happens before a file's schema is fixed.
final class ParquetColumn {
    let name: String
    private(set) var kind: ParquetKind
    /// One flag per row: the value is not NULL.
    private(set) var defined: [Bool] = []
    /// int64, bool (0/1) and datetime ticks.
    private var ints: [Int64] = []
    private var doubles: [Double] = []
    /// Text values as dictionary indices.
    private var dictionary: [String: UInt32] = [:]
    private var entries: [String] = []
    private var entryBytes = 0
    private var indices: [UInt32] = []
    private var plainBytes = 0
    private var minTicks = Int64.max, maxTicks = Int64.min

    init(name: String, kind: ParquetKind, rows: Int = 0) {
        self.name = name
        self.kind = kind
        defined = Array(repeating: false, count: rows)
    }

    var rows: Int { defined.count }

    /// An estimate of the bytes held, for row group and file sizes.
    var estimatedBytes: Int { rows / 8 + ints.count * 8 + doubles.count * 8 + entryBytes + indices.count * 2 }

    /// The kind this column would have after taking `v`, widening if `widen`; `nil` if it cannot take it.
    func kind(accepting v: Value, widen: Bool) -> ParquetKind? {
        guard let k = ParquetKind.of(v) else { return kind }
        if k == kind { return kind }
        switch (kind, k) {
        case (.unknown, _): return widen ? k : nil
        case (.double, .int64): return .double
        case (.int64, .double): return widen ? .double : nil
        case (.timestampNanos, .timestampMicros):
            if case .datetime(let t) = v, ParquetKind.nanos(t.ticks) != nil { return .timestampNanos }
            return nil
        case (.timestampMicros, .timestampNanos):
            return widen && ParquetKind.nanos(minTicks) != nil && ParquetKind.nanos(maxTicks) != nil ? .timestampNanos : nil
        default: return nil
        }
    }

    /// Changes the kind to a wider one returned by ``kind(accepting:widen:)``.
    func widen(to k: ParquetKind) {
        guard k != kind else { return }
        if kind == .int64 && k == .double {
            doubles = ints.map(Double.init)
            ints = []
        }
        kind = k
    }

    /// Appends a value the column accepts (checked by ``kind(accepting:widen:)``).
    func append(_ v: Value) {
        switch v {
        case .null:
            defined.append(false)
            return
        case .bigint(let i):
            if kind == .double { doubles.append(Double(i)) } else { ints.append(i) }
        case .float(let d): doubles.append(d)
        case .bit(let b): ints.append(b ? 1 : 0)
        case .datetime(let t):
            if kind == .string {
                appendText(t.iso8601)
            } else {
                ints.append(t.ticks)
                minTicks = min(minTicks, t.ticks)
                maxTicks = max(maxTicks, t.ticks)
            }
        case .string(let s): appendText(s)
        case .record, .array: appendText(v.description)
        }
        defined.append(true)
    }

    private func appendText(_ s: String) {
        let n = s.utf8.count
        plainBytes += 4 + n
        if let i = dictionary[s] {
            indices.append(i)
        } else {
            let i = UInt32(entries.count)
            dictionary[s] = i
            entries.append(s)
            entryBytes += 4 + n
            indices.append(i)
        }
    }

    /// Empties the column for the next row group, keeping its kind.
    func reset() {
        defined.removeAll(keepingCapacity: true)
        ints.removeAll(keepingCapacity: true)
        doubles.removeAll(keepingCapacity: true)
        dictionary.removeAll()
        entries.removeAll()
        indices.removeAll(keepingCapacity: true)
        entryBytes = 0
        plainBytes = 0
        minTicks = .max
        maxTicks = .min
    }

    // MARK: Encoding

    /// Parquet's physical type of the kind.
    var physicalType: Int32 {
        switch kind {
        case .bool: 0
        case .int64, .timestampMicros, .timestampNanos: 2
        case .double: 5
        case .unknown, .string, .json: 6
        }
    }

    /// The schema element of this column (always OPTIONAL: any value may be NULL).
    func schemaElement(_ w: inout ThriftCompactWriter) {
        w.i32(1, physicalType)
        w.i32(3, 1)
        w.string(4, name)
        switch kind {
        case .unknown, .string:
            w.i32(6, 0)
            w.structure(10) { $0.structure(1) { _ in } }
        case .json:
            w.i32(6, 19)
            w.structure(10) { $0.structure(12) { _ in } }
        case .timestampMicros:
            w.i32(6, 10)
            w.structure(10) { $0.structure(8) { t in t.bool(1, true); t.structure(2) { $0.structure(2) { _ in } } } }
        case .timestampNanos:
            w.structure(10) { $0.structure(8) { t in t.bool(1, true); t.structure(2) { $0.structure(3) { _ in } } } }
        case .int64, .double, .bool: break
        }
    }

    /// The encoded chunk: its pages (uncompressed sizes and compressed bytes) and statistics.
    struct Chunk {
        var dictionaryPage: (header: [UInt8], body: [UInt8])?
        var dataPage: (header: [UInt8], body: [UInt8])
        var uncompressedSize: Int
        var usesDictionary: Bool
        var statistics: [UInt8]
    }

    func encode(_ compression: ParquetCompression) throws -> Chunk {
        var levels: [UInt8] = []
        RLEHybridEncoder.encode(defined.map { $0 ? 1 : 0 }, bitWidth: 1, into: &levels)
        var page: [UInt8] = []
        page.reserveCapacity(levels.count + 4 + ints.count * 8 + doubles.count * 8 + plainBytes)
        appendLE(UInt32(levels.count), to: &page)
        page.append(contentsOf: levels)

        var dictionaryPage: (header: [UInt8], body: [UInt8])?
        var uncompressed = 0
        let nullCount = Int64(defined.count - (ints.count + doubles.count + indices.count))
        var encoding: Int32 = 0
        switch kind {
        case .int64:
            for i in ints { appendLE(UInt64(bitPattern: i), to: &page) }
        case .timestampMicros:
            for t in ints { appendLE(UInt64(bitPattern: t / 10), to: &page) }
        case .timestampNanos:
            for t in ints { appendLE(UInt64(bitPattern: ParquetKind.nanos(t) ?? 0), to: &page) }
        case .double:
            for d in doubles { appendLE(d.bitPattern, to: &page) }
        case .bool:
            var byte: UInt8 = 0
            for (i, b) in ints.enumerated() {
                if b != 0 { byte |= 1 << UInt8(i % 8) }
                if i % 8 == 7 { page.append(byte); byte = 0 }
            }
            if ints.count % 8 != 0 { page.append(byte) }
        case .unknown, .string, .json:
            let width = max(1, RLEHybridEncoder.bitWidth(UInt32(max(0, entries.count - 1))))
            if entryBytes + indices.count * width / 8 + 16 < plainBytes {
                var dict: [UInt8] = []
                dict.reserveCapacity(entryBytes)
                for e in entries { appendText(e, to: &dict) }
                let body = try compression.compress(dict)
                let header = pageHeader(type: 2, uncompressed: dict.count, compressed: body.count) {
                    $0.structure(7) { d in d.i32(1, Int32(entries.count)); d.i32(2, 0) }
                }
                uncompressed += header.count + dict.count
                dictionaryPage = (header, body)
                page.append(UInt8(width))
                RLEHybridEncoder.encode(indices, bitWidth: width, into: &page)
                encoding = 8
            } else {
                for i in indices { appendText(entries[Int(i)], to: &page) }
            }
        }
        let body = try compression.compress(page)
        let rows = Int32(defined.count)
        let header = pageHeader(type: 0, uncompressed: page.count, compressed: body.count) {
            $0.structure(5) { d in d.i32(1, rows); d.i32(2, encoding); d.i32(3, 3); d.i32(4, 3) }
        }
        uncompressed += header.count + page.count
        return Chunk(dictionaryPage: dictionaryPage, dataPage: (header, body), uncompressedSize: uncompressed,
                     usesDictionary: encoding == 8, statistics: statistics(nullCount: nullCount))
    }

    private func pageHeader(type: Int32, uncompressed: Int, compressed: Int,
                            _ body: (inout ThriftCompactWriter) -> Void) -> [UInt8] {
        ThriftCompactWriter.structBytes { w in
            w.i32(1, type)
            w.i32(2, Int32(uncompressed))
            w.i32(3, Int32(compressed))
            body(&w)
        }
    }

    /// Min, max (PLAIN-encoded, in the type's sort order) and the NULL count, for readers to prune by.
    private func statistics(nullCount: Int64) -> [UInt8] {
        var minValue: [UInt8]?, maxValue: [UInt8]?
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { var b: [UInt8] = []; appendLE(v, to: &b); return b }
        switch kind {
        case .int64, .timestampMicros, .timestampNanos:
            if let lo = ints.min(), let hi = ints.max() {
                switch kind {
                case .timestampMicros: (minValue, maxValue) = (le(lo / 10), le(hi / 10))
                case .timestampNanos: (minValue, maxValue) = (le(ParquetKind.nanos(lo) ?? 0), le(ParquetKind.nanos(hi) ?? 0))
                default: (minValue, maxValue) = (le(lo), le(hi))
                }
            }
        case .double:
            // NaN has no place in the order; zeros are written as -0.0 (min) and +0.0 (max), as the format asks.
            let finite = doubles.filter { !$0.isNaN }
            if var lo = finite.min(), var hi = finite.max() {
                if lo == 0 { lo = -0.0 }
                if hi == 0 { hi = 0.0 }
                (minValue, maxValue) = (le(lo.bitPattern), le(hi.bitPattern))
            }
        case .bool:
            if let lo = ints.min(), let hi = ints.max() { (minValue, maxValue) = ([UInt8(lo)], [UInt8(hi)]) }
        case .unknown, .string, .json:
            // UTF-8 orders as unsigned bytes, which `[UInt8]`'s lexicographic order is.
            let texts = entries.map { Array($0.utf8) }
            if let lo = texts.min(by: { $0.lexicographicallyPrecedes($1) }), let hi = texts.max(by: { $0.lexicographicallyPrecedes($1) }) {
                (minValue, maxValue) = (lo, hi)
            }
        }
        return ThriftCompactWriter.structBytes { w in
            w.i64(3, nullCount)
            if let maxValue { w.binary(5, maxValue) }
            if let minValue { w.binary(6, minValue) }
        }
    }

    private func appendText(_ s: String, to out: inout [UInt8]) {
        appendLE(UInt32(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }
}

func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    var v = v.littleEndian
    withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
}
