import Planner

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

    /// Rows of `layout` from records (through the JSON decoder, so types convert as for events).
    static func decode(_ records: [Record], layout: InputLayout, compatibility: CompatibilityLevel) throws -> EventBatch {
        var decoder = EventDecoder(layout: layout, format: .json, arrivalField: nil, compatibility: compatibility)
        var table = EventBatch(width: layout.schema.columns.count)
        for record in records {
            var bytes: [UInt8] = []
            JSONWriter.append(.record(record), to: &bytes)
            try bytes.withUnsafeBufferPointer { try decoder.decode($0, into: &table, defaultArrival: 0) }
        }
        return table
    }
}
