import Foundation

/// The columns of data that exists now, for `saql check`: unknown columns of such an input are then
/// errors, as with CREATE TABLE.
package enum SchemaSample {
    /// The field names of a sample input file: every top-level field of its first 1,000 JSON events, in
    /// first-seen order, or a CSV file's header.
    package static func fields(ofFile path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        if path.lowercased().hasSuffix(".csv") {
            return text.split(separator: "\n", maxSplits: 1).first.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        }
        var objects: [[String: Any]] = []
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") {
            objects = (try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]]) ?? []
        } else {
            for line in trimmed.split(separator: "\n").prefix(1_000) {
                if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { objects.append(o) }
            }
        }
        var fields: [String] = []
        for o in objects.prefix(1_000) {
            // JSONSerialization loses key order; sorting keeps the schema stable.
            for key in o.keys.sorted() where !fields.contains(key) { fields.append(key) }
        }
        guard !fields.isEmpty else { throw ConnectorError("\(path): no events to take a schema from") }
        return fields
    }
}
