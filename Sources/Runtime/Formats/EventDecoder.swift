import Planner

/// Decodes event text (one JSON object or one CSV record) into a row of an input's layout.
package struct EventDecoder {
    package let layout: InputLayout
    package let width: Int
    private var json: JSONEventParser
    private var csv: CSVEventParser?
    /// The CREATE TABLE columns with a declared type: (field, column, type).
    private let declared: [(field: Int, column: Int, type: DataType)]

    package init(layout: InputLayout, format: DataFormat, arrivalField: String?, compatibility: CompatibilityLevel) {
        self.layout = layout
        width = layout.schema.columns.count
        json = JSONEventParser(layout: layout, arrivalField: arrivalField, compatibility: compatibility)
        csv = format == .csv ? CSVEventParser(layout: layout, arrivalField: arrivalField) : nil
        declared = layout.declaredTypes.enumerated().compactMap { i, type in type.map { (i, layout.column(ofField: i), $0) } }
    }

    var isCSV: Bool { csv != nil }

    /// Reads a CSV header line; returns false when it is not a valid header.
    package mutating func readHeader(_ line: UnsafeBufferPointer<UInt8>) throws(DecodeError) {
        try csv?.readHeader(line)
    }

    /// Appends the decoded event to `batch`. Throws for malformed text (and leaves `batch` unchanged).
    package mutating func decode(_ text: UnsafeBufferPointer<UInt8>, into batch: inout EventBatch, defaultArrival: Int64) throws(DecodeError) {
        if let p = TextValidation.problem(in: text, allowingNewlines: csv != nil) { throw DecodeError(message: p.message, offset: p.offset) }
        let base = batch.values.count
        for _ in 0..<width { batch.values.append(.null) }
        do throws(DecodeError) {
            let arrival = try batch.values.withUnsafeMutableBufferPointer { buf throws(DecodeError) -> Int64? in
                // swiftlint:disable:next force_unwrapping
                let row = buf.baseAddress! + base
                if let c = csv { return try c.parse(text, into: row) }
                return try json.parse(text, into: row)
            }
            // (Only called when there are declared types: the call copies the decoder, 272 bytes.)
            if !declared.isEmpty { try enforceDeclaredTypes(&batch.values, base: base) }
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
        for (i, column, type) in declared {
            let col = base + column
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

    /// Appends an event given as a record, without a text round trip: fields go to their columns by
    /// name (ignoring case) and convert as decoded text would (CREATE TABLE types, ISO-8601 event
    /// times, booleans before compatibility level 1.2). A non-finite float, or nesting deeper than
    /// ``Value/maxNesting``, makes the event malformed, as it would be in JSON.
    package mutating func decode(_ record: Record, into batch: inout EventBatch, arrival: Int64) throws(DecodeError) {
        try Self.validate(.record(record), depth: 0)
        let base = batch.values.count
        batch.values.append(contentsOf: repeatElement(Value.null, count: width))
        let booleansAsBit = json.booleansAsBit
        func converted(_ v: Value) -> Value {
            guard !booleansAsBit else { return v }
            switch v {
            case .bit(let b): return .bigint(b ? 1 : 0)
            case .record(let r): return .record(Record(names: r.names, values: r.values.map(converted)))
            case .array(let a): return .array(a.map(converted))
            default: return v
            }
        }
        let event = booleansAsBit ? record : Record(names: record.names, values: record.values.map(converted))
        for (i, field) in layout.fields.enumerated() {
            guard var v = event[field] else { continue }
            if layout.timestampOnly.contains(i), case .string(let text) = v, let t = Timestamp(parsing: text) { v = .datetime(t) }
            batch.values[base + layout.column(ofField: i)] = v
        }
        if layout.wantsRecord { batch.values[base] = .record(event) }
        do throws(DecodeError) { try enforceDeclaredTypes(&batch.values, base: base) } catch {
            batch.values.removeLast(width)
            throw error
        }
        batch.times.append(0)
        batch.arrivals.append(arrival)
    }

    private static func validate(_ v: Value, depth: Int) throws(DecodeError) {
        switch v {
        case .float(let d) where !d.isFinite: throw DecodeError(message: "a float is not finite (\(d))", offset: 0)
        case .record(let r):
            guard depth < Value.maxNesting else { throw DecodeError(message: "nested deeper than \(Value.maxNesting) levels", offset: 0) }
            for x in r.values { try validate(x, depth: depth + 1) }
        case .array(let a):
            guard depth < Value.maxNesting else { throw DecodeError(message: "nested deeper than \(Value.maxNesting) levels", offset: 0) }
            for x in a { try validate(x, depth: depth + 1) }
        default: break
        }
    }

    /// Rows of `layout` from records, converted as events are.
    static func decode(_ records: [Record], layout: InputLayout, compatibility: CompatibilityLevel) throws -> EventBatch {
        var decoder = EventDecoder(layout: layout, format: .json, arrivalField: nil, compatibility: compatibility)
        var table = EventBatch(width: layout.schema.columns.count)
        for record in records { try decoder.decode(record, into: &table, arrival: 0) }
        return table
    }
}
