/// The serialization of a file or message payload.
package enum DataFormat: String, Hashable, Sendable, Encodable {
    case json, csv

    /// The format implied by a path's extension: `.jsonl`, `.ndjson`, `.json` or `.csv`.
    package init?(path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { self = .csv } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
            || lower.hasSuffix(".json") { self = .json } else { return nil }
    }
}
