import Planner

/// `connector = 'file'`: local files. Inputs and reference inputs read JSON Lines, a JSON array,
/// CSV with a header, Avro or Event Hubs Capture files; outputs write JSON Lines, CSV, Parquet or Avro, to one file or, when the path holds
/// `{date}`, `{time}` or `{datetime:FORMAT}`, to one file per time partition (ASA's blob path patterns).
package struct FileConnector: Connector {
    package init() {}
    package var name: String { "file" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        let path = OptionSpec("path", .path, "the file; relative paths resolve against the job file's directory")
        switch kind {
        case .input, .referenceInput:
            return [OptionSpec("path", .path, "the file; an Avro input may also be a directory (read recursively) or a glob; relative paths resolve against the job file's directory"),
                    OptionSpec("format", .choice(["json", "csv", "avro", "eventhubs-capture"]), default: "from the extension",
                               "json, csv, avro, or eventhubs-capture (Avro files whose records' Body holds the events)"),
                    OptionSpec("arrival_time", "the payload field holding each event's arrival time")]
        case .output:
            return [path, OptionSpec("format", .choice(["json", "csv", "parquet", "avro"]), default: "from the extension", "json, csv, parquet or avro"),
                    OptionSpec("date_format", default: "YYYY/MM/DD", "what {date} stands for (ASA's date formats)"),
                    OptionSpec("time_format", default: "HH", "what {time} stands for: HH, HH/mm or HH-mm"),
                    OptionSpec("max_file_size", .byteSize, "start a new part file at this size"),
                    OptionSpec("min_rows", .integer, "start a new part file once a file holds this many rows (ASA's minimum rows)"),
                    OptionSpec("max_time", .duration, "start a new part file once a file with rows has been open this long (ASA's maximum time)"),
                    OptionSpec("compression", .choice(["snappy", "zstd", "deflate", "none"]), default: "snappy",
                               "Parquet's page codec (snappy, zstd, none) or Avro's block codec (deflate, snappy, none)"),
                    OptionSpec("row_group_rows", .integer, default: "122880", "a Parquet row group ends at this many rows"),
                    OptionSpec("row_group_size", .byteSize, default: "64MB", "or once it holds about this many bytes")]
        }
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let path = options.required("path", connector: name) else { return nil }
        let named = options["format"]?.value.lowercased()
        if named == "eventhubs-capture" || named == "avro" || (named == nil && path.lowercased().hasSuffix(".avro")) {
            if named == "eventhubs-capture", options["arrival_time"] != nil {
                options.error("SAQL3013", "a capture's events arrive at their EnqueuedTimeUtc", at: "arrival_time",
                              helps: [.init("remove arrival_time; GetMetadataPropertyValue(input, 'EventEnqueuedUtcTime') reads that time")])
                return nil
            }
            return AvroFileInput(path: path, capture: named == "eventhubs-capture", arrivalTimeField: options["arrival_time"]?.value)
        }
        if options["format"]?.value.lowercased() == "parquet" || path.lowercased().hasSuffix(".parquet") {
            options.error("SAQL3013", "Parquet files cannot be read as an input", at: options["format"] == nil ? "path" : "format",
                          helps: [.init("Parquet is an output format here; read JSON Lines or CSV")])
            return nil
        }
        guard let format = options.format(path: path) else { return nil }
        return FileInput(path: path, format: format, arrivalTimeField: options["arrival_time"]?.value)
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let path = options.required("path", connector: name), let format = Self.outputFormat(path: path, &options) else { return nil }
        let rolls = ["max_file_size", "min_rows", "max_time"].contains { options[$0] != nil }
        if case .text(let text) = format, !path.contains("{"), !rolls { return FileOutput(path: path, format: text) }
        return PartitionedFileOptions.bind(path: path, format: format, &options)
    }

    /// `format`, or the one the path's extension implies, with Parquet's or Avro's options.
    private static func outputFormat(path: String, _ options: inout EndpointOptions) -> FileFormat? {
        let named = options["format"]?.value.lowercased()
        let lower = path.lowercased()
        if named == "avro" || (named == nil && lower.hasSuffix(".avro")) {
            var o = AvroOptions()
            if options["compression"] != nil, let c = options.choice("compression", code: "SAQL3037", message: { "unknown Avro compression '\($0)'" },
                                      help: "use 'deflate', 'snappy' or 'none'") {
                guard c != "zstd" else {
                    options.error("SAQL3037", "unknown Avro compression 'zstd'", at: "compression", helps: [.init("use 'deflate', 'snappy' or 'none'")])
                    return nil
                }
                o.codec = c == "none" ? "null" : c
            }
            return options.hasErrors ? nil : .avro(o)
        }
        guard named == "parquet" || (named == nil && lower.hasSuffix(".parquet")) else {
            return options.format(path: path).map(FileFormat.text)
        }
        var o = ParquetOptions()
        if options["compression"] != nil, let c = options.choice("compression", code: "SAQL3037", message: { "unknown Parquet compression '\($0)'" },
                                  help: "use 'snappy', 'zstd' or 'none'") {
            guard c != "deflate" else {
                options.error("SAQL3037", "unknown Parquet compression 'deflate'", at: "compression", helps: [.init("use 'snappy', 'zstd' or 'none'")])
                return nil
            }
            o.compression = c
        }
        if let rows = options.integer("row_group_rows", code: "SAQL3038", minimum: 1) { o.rowGroupRows = rows }
        if let bytes = options.byteSize("row_group_size", code: "SAQL3038") { o.rowGroupBytes = bytes }
        return options.hasErrors ? nil : .parquet(o)
    }
}

/// A file read as events or as a reference table.
package struct FileInput: StreamSourceEndpoint, ReferenceSourceEndpoint {
    package var path: String
    package var format: DataFormat
    package var arrivalTimeField: String?

    package init(path: String, format: DataFormat, arrivalTimeField: String?) {
        self.path = path
        self.format = format
        self.arrivalTimeField = arrivalTimeField
    }

    package var connector: String { "file" }
    package var explainFields: String { "path=\(path), format=\(format.rawValue)" + (arrivalTimeField.map { ", arrival_time=\($0)" } ?? "") }
    /// Without an arrival-time field, a replayed file's events arrive at their event times.
    package var arrivesAtEventTime: Bool { arrivalTimeField == nil }
    /// A file gives its events' `EventId` and `BlobName`.
    package func provides(_ property: MetadataProperty) -> Bool {
        switch property {
        case .eventId, .blobName, .blobLastModified, .group(.blob): true
        default: false
        }
    }

    package func makeSource(_ c: SourceContext) throws -> any EventSource {
        try FileSource(input: c.input, path: path, format: format, arrivalField: arrivalTimeField, layout: c.layout,
                       compatibility: c.compatibility, runStart: c.runStart, context: c.runtime)
    }

    package func sampleColumns() -> [String]? { try? SchemaSample.fields(ofFile: path) }

    package func makeLoader(_ c: SourceContext) throws -> (() throws -> EventBatch)? {
        { try FileSource(input: c.input, path: path, format: format, arrivalField: nil, layout: c.layout,
                         compatibility: c.compatibility, runStart: c.runStart, context: c.runtime).readAll() }
    }
}

/// One file of JSON Lines or CSV.
package struct FileOutput: SinkEndpoint, ByteStreamEndpoint {
    package var path: String
    package var format: DataFormat

    package init(path: String, format: DataFormat) {
        self.path = path
        self.format = format
    }

    package var connector: String { "file" }
    package var explainFields: String { "path=\(path), format=\(format.rawValue)" }

    func makeByteSink(resumeAt: Int64?) throws -> ByteSink { try ByteSink(path: path, resumeAt: resumeAt) }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        try FileFormat.text(format).makeWriter(path: path, resume: c.resume, errorHandling: c.errorHandling, columns: c.columns)
    }
}

/// A file output partitioned by time, as ASA's blob output path patterns are, or rolled into part
/// files by size, rows or time, or written as Parquet or Avro: files finished atomically.
package struct PartitionedFileOptions: SinkEndpoint {
    /// The path, with or without `{date}`, `{time}` and `{datetime:FORMAT}` tokens.
    package var path: String
    package var format: FileFormat
    /// What `{date}` and `{time}` stand for, in `{datetime:...}` syntax (`yyyy/MM/dd`, `HH`).
    package var dateFormat: String
    package var timeFormat: String
    /// Start a new part file once a file reaches this many bytes; `nil`: no size limit.
    package var maxFileBytes: Int64?
    /// ...or holds this many rows.
    package var minRows: Int?
    /// ...or has held rows for this many ticks of wall-clock time.
    package var maxTime: Int64?

    package init(path: String, format: FileFormat, dateFormat: String = "yyyy/MM/dd", timeFormat: String = "HH",
                maxFileBytes: Int64? = nil) {
        self.path = path
        self.format = format
        self.dateFormat = dateFormat
        self.timeFormat = timeFormat
        self.maxFileBytes = maxFileBytes
    }

    package var connector: String { "file" }
    package var explainFields: String {
        "path=\(path), format=\(format.name)" + (path.contains("{") ? ", date=\(dateFormat), time=\(timeFormat)" : "")
            + (maxFileBytes.map { ", max_file_size=\($0)" } ?? "") + (minRows.map { ", min_rows=\($0)" } ?? "")
            + (maxTime.map { ", max_time=\(TimeSpan(ticks: $0))" } ?? "") + format.explainFields
    }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        try PartitionedFileWriter(options: self, resume: c.resume, errorHandling: c.errorHandling, columns: c.columns)
    }

    /// ASA's `{date}` formats (`YYYY/MM/DD`, `DD-MM-YYYY`, ...) and `{time}` formats (`HH`, `HH/mm`,
    /// `HH-mm`) in `{datetime:...}` syntax; `nil` for others.
    package static func dateFormat(asa: String) -> String? {
        let allowed = ["YYYY/MM/DD", "DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "DD-MM-YYYY", "MM-DD-YYYY", "YYYY/MM", "YYYY-MM"]
        guard allowed.contains(asa.uppercased()) else { return nil }
        return asa.uppercased().replacingOccurrences(of: "YYYY", with: "yyyy").replacingOccurrences(of: "DD", with: "dd")
    }

    package static func timeFormat(asa: String) -> String? { ["HH", "HH/mm", "HH-mm"].contains(asa) ? asa : nil }

    /// A file output with a time-partitioned path; reports bad tokens and options.
    static func bind(path: String, format: FileFormat, _ options: inout EndpointOptions) -> PartitionedFileOptions? {
        var o = PartitionedFileOptions(path: path, format: format)
        if let d = options["date_format"] {
            guard let f = dateFormat(asa: d.value) else {
                options.error("SAQL3034", "unsupported date_format '\(d.value)'", at: "date_format",
                              helps: [.init("use one of ASA's: 'YYYY/MM/DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYY-MM-DD', 'DD-MM-YYYY', 'MM-DD-YYYY'")])
                return nil
            }
            o.dateFormat = f
        }
        if let t = options["time_format"] {
            guard let f = timeFormat(asa: t.value) else {
                options.error("SAQL3034", "unsupported time_format '\(t.value)'", at: "time_format",
                              helps: [.init("use one of ASA's: 'HH', 'HH/mm', 'HH-mm'")])
                return nil
            }
            o.timeFormat = f
        }
        o.maxFileBytes = options.byteSize("max_file_size", code: "SAQL3035")
        o.minRows = options.integer("min_rows", code: "SAQL3035", minimum: 1)
        o.maxTime = options.duration("max_time", code: "SAQL3035")?.ticks
        if options.hasErrors { return nil }
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let token = rest[rest.index(after: open)..<close]
            let known = token == "date" || token == "time"
                || (token.hasPrefix("datetime:") && token.dropFirst(9).allSatisfy { "yMdHm/-_.".contains($0) } && token.count > 9)
            if !known {
                options.error("SAQL3036", "unknown path token '{\(token)}'", at: "path",
                              helps: [.init("tokens are {date}, {time} and {datetime:FORMAT} with yyyy, MM, dd, HH, mm")])
                return nil
            }
            rest = rest[rest.index(after: close)...]
        }
        return o
    }
}
