import Planner

/// `connector = 'file'`: local files. Inputs and reference inputs read JSON Lines, a JSON array or
/// CSV with a header; outputs write JSON Lines or CSV, to one file or, when the path holds `{date}`,
/// `{time}` or `{datetime:FORMAT}`, to one file per time partition (ASA's blob path patterns).
package struct FileConnector: Connector {
    package init() {}
    package var name: String { "file" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        let common = [OptionSpec("path", .path, "the file; relative paths resolve against the job file's directory"),
                      OptionSpec("format", .choice(["json", "csv"]), default: "from the extension", "json or csv")]
        switch kind {
        case .input, .referenceInput:
            return common + [OptionSpec("arrival_time", "the payload field holding each event's arrival time")]
        case .output:
            return common + [OptionSpec("date_format", default: "YYYY/MM/DD", "what {date} stands for (ASA's date formats)"),
                             OptionSpec("time_format", default: "HH", "what {time} stands for: HH, HH/mm or HH-mm"),
                             OptionSpec("max_file_size", .byteSize, "start a new part file at this size")]
        }
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let path = options.required("path", connector: name), let format = options.format(path: path) else { return nil }
        return FileInput(path: path, format: format, arrivalTimeField: options["arrival_time"]?.value)
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let path = options.required("path", connector: name), let format = options.format(path: path) else { return nil }
        guard path.contains("{") else { return FileOutput(path: path, format: format) }
        return PartitionedFileOptions.bind(path: path, format: format, &options)
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
        let sink = try ByteSink(path: path, resumeAt: try fileResumeOffset(c.resume), errorHandling: c.errorHandling)
        return format == .csv ? CSVWriter(sink: sink) : JSONLinesWriter(sink: sink)
    }
}

/// A file output partitioned by time, as ASA's blob output path patterns are.
package struct PartitionedFileOptions: SinkEndpoint {
    /// The path with `{date}`, `{time}` and `{datetime:FORMAT}` tokens.
    package var path: String
    package var format: DataFormat
    /// What `{date}` and `{time}` stand for, in `{datetime:...}` syntax (`yyyy/MM/dd`, `HH`).
    package var dateFormat: String
    package var timeFormat: String
    /// Start a new part file once a file reaches this many bytes; `nil`: no size limit.
    package var maxFileBytes: Int64?

    package init(path: String, format: DataFormat, dateFormat: String = "yyyy/MM/dd", timeFormat: String = "HH",
                maxFileBytes: Int64? = nil) {
        self.path = path
        self.format = format
        self.dateFormat = dateFormat
        self.timeFormat = timeFormat
        self.maxFileBytes = maxFileBytes
    }

    package var connector: String { "file" }
    package var explainFields: String {
        "path=\(path), format=\(format.rawValue), date=\(dateFormat), time=\(timeFormat)" + (maxFileBytes.map { ", max_file_size=\($0)" } ?? "")
    }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        try PartitionedFileWriter(options: self, resume: c.resume, errorHandling: c.errorHandling)
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
    static func bind(path: String, format: DataFormat, _ options: inout EndpointOptions) -> PartitionedFileOptions? {
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
