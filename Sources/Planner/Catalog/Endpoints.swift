import SAQLParser

/// The serialization of a file or message payload.
public enum DataFormat: String, Hashable, Sendable {
    case json, csv

    /// The format implied by a path's extension: `.jsonl`, `.ndjson`, `.json` or `.csv`.
    public init?(path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { self = .csv } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
            || lower.hasSuffix(".json") { self = .json } else { return nil }
    }
}

/// A bound input: where events come from and how they are read.
public struct InputBinding: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case stream, reference }
    public var name: String
    public var kind: Kind
    public var connector: InputConnector
    /// Where it was declared, or `.unknown` when bound from the command line.
    public var range: SourceRange
    /// For reference inputs: reload the table this often (wall-clock time); `nil` loads it once.
    public var refresh: Duration?

    public init(name: String, kind: Kind, connector: InputConnector, range: SourceRange = .unknown, refresh: Duration? = nil) {
        self.name = name
        self.kind = kind
        self.connector = connector
        self.range = range
        self.refresh = refresh
    }
}

/// The connectors an input can use.
public enum InputConnector: Hashable, Sendable {
    /// A local file: JSON Lines or a JSON array, or CSV with a header.
    /// `arrivalTimeField` names the payload field holding each event's arrival time.
    case file(path: String, format: DataFormat, arrivalTimeField: String?)
    /// Rows of a SQLite query (reference data only).
    case sqlite(path: String, query: String)
    /// Records of a Kafka topic, read in a consumer group.
    case kafka(KafkaInputOptions)
    /// Events pushed in-process through the embedding API.
    case embedded(format: DataFormat)
    /// Not bound yet (`saql check` and `explain` accept this; `run` does not).
    case unbound

    /// True for a local file.
    public var isFile: Bool { if case .file = self { true } else { false } }
}

/// A bound output: where the rows of `SELECT ... INTO name` go.
public struct OutputBinding: Hashable, Sendable {
    public var name: String
    public var connector: OutputConnector
    public var range: SourceRange

    public init(name: String, connector: OutputConnector, range: SourceRange = .unknown) {
        self.name = name
        self.connector = connector
        self.range = range
    }
}

/// The connectors an output can use.
public enum OutputConnector: Hashable, Sendable {
    case file(path: String, format: DataFormat)
    case stdout(format: DataFormat)
    /// Records produced to a Kafka topic.
    case kafka(KafkaOutputOptions)
    /// Rows of a SQLite table (created from the output's columns when absent).
    case sqlite(SQLiteOutputOptions)
    /// Files whose path holds `{date}`, `{time}` or `{datetime:FORMAT}`, one per time partition.
    case partitionedFile(PartitionedFileOptions)
    /// Rows delivered in-process through the embedding API.
    case embedded
    /// Not bound yet (`saql check` and `explain` accept this; `run` does not).
    case unbound
}

/// Where a SQLite output writes and how.
public struct SQLiteOutputOptions: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable {
        /// Every row is a new table row.
        case insert
        /// One table row per key: the latest row wins (device state).
        case upsert
    }

    public var path: String
    public var table: String
    public var mode: Mode
    /// The key columns (`upsert`): the table's primary key.
    public var key: [String]

    public init(path: String, table: String, mode: Mode, key: [String]) {
        self.path = path
        self.table = table
        self.mode = mode
        self.key = key
    }
}

/// A file output partitioned by time, as ASA's blob output path patterns are.
public struct PartitionedFileOptions: Hashable, Sendable {
    /// The path with `{date}`, `{time}` and `{datetime:FORMAT}` tokens.
    public var path: String
    public var format: DataFormat
    /// What `{date}` and `{time}` stand for, in `{datetime:...}` syntax (`yyyy/MM/dd`, `HH`).
    public var dateFormat: String
    public var timeFormat: String
    /// Start a new part file once a file reaches this many bytes; `nil`: no size limit.
    public var maxFileBytes: Int64?

    public init(path: String, format: DataFormat, dateFormat: String = "yyyy/MM/dd", timeFormat: String = "HH",
                maxFileBytes: Int64? = nil) {
        self.path = path
        self.format = format
        self.dateFormat = dateFormat
        self.timeFormat = timeFormat
        self.maxFileBytes = maxFileBytes
    }

    /// ASA's `{date}` formats (`YYYY/MM/DD`, `DD-MM-YYYY`, ...) and `{time}` formats (`HH`, `HH/mm`,
    /// `HH-mm`) in `{datetime:...}` syntax; `nil` for others.
    public static func dateFormat(asa: String) -> String? {
        let allowed = ["YYYY/MM/DD", "DD/MM/YYYY", "MM/DD/YYYY", "YYYY-MM-DD", "DD-MM-YYYY", "MM-DD-YYYY", "YYYY/MM", "YYYY-MM"]
        guard allowed.contains(asa.uppercased()) else { return nil }
        return asa.uppercased().replacingOccurrences(of: "YYYY", with: "yyyy").replacingOccurrences(of: "DD", with: "dd")
    }

    public static func timeFormat(asa: String) -> String? { ["HH", "HH/mm", "HH-mm"].contains(asa) ? asa : nil }
}
