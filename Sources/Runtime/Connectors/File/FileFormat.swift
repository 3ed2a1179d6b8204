import Planner

/// The format of a file output: the one place a file format's writer is chosen.
package enum FileFormat: Sendable, Hashable, Encodable {
    /// JSON Lines or CSV, written as rows arrive.
    case text(DataFormat)
    /// Parquet, written in row groups and finished with its footer.
    case parquet(ParquetOptions)
    /// Avro Object Container Files, written in blocks.
    case avro(AvroOptions)

    package var name: String {
        switch self {
        case .text(let f): f.rawValue
        case .parquet: "parquet"
        case .avro: "avro"
        }
    }

    /// In `explain --format json`, the name (the options are in the endpoint's fields).
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    /// What EXPLAIN shows beyond the name.
    var explainFields: String {
        switch self {
        case .text: ""
        case .parquet(let o): ", compression=\(o.compression), row_group_rows=\(o.rowGroupRows), row_group_size=\(o.rowGroupBytes)"
        case .avro(let o): ", compression=\(o.codec)"
        }
    }

    /// A writer of a new file at `path`, or of one cut back to a checkpoint's `resume` state (from
    /// the writer's ``RowWriter/checkpoint()``). `columns`: the planned column names (``SinkContext/columns``).
    func makeWriter(path: String, resume: [UInt8]?, errorHandling: WriteErrorHandling?, columns: [String]) throws -> any FileFormatWriter {
        let sink = try ByteSink(path: path, resumeAt: try fileResumeOffset(resume), errorHandling: errorHandling)
        switch self {
        case .text(let f): return Self.textWriter(f, sink)
        case .parquet(let o): return try ParquetWriter(sink: sink, options: o, resume: resume, declared: columns)
        case .avro(let o): return try AvroWriter(sink: sink, options: o, resume: resume, declared: columns)
        }
    }

    /// A JSON Lines or CSV writer to a sink (a file, standard output).
    static func textWriter(_ format: DataFormat, _ sink: ByteSink) -> any FileFormatWriter {
        format == .csv ? CSVWriter(sink: sink) : JSONLinesWriter(sink: sink)
    }
}

/// A writer of one file in one format.
protocol FileFormatWriter: RowWriter {
    /// The file's bytes so far, counting what is still buffered.
    var size: Int64 { get }
    /// Whether the row can go into this file; when not, the file is finished and the row starts the next.
    func fits(_ row: RowRef, shape: RowShape) -> Bool
    /// Completes the file, makes it durable and closes it.
    func finish() throws
}

extension FileFormatWriter {
    func fits(_ row: RowRef, shape: RowShape) -> Bool { true }
}
