import Foundation
import SAQL
import Planner
import Runtime
import SAQLParser
import Testing

/// `GetMetadataPropertyValue` on file inputs: `BlobName` is the file read, `EventId` identifies each
/// event by file and position (the same on every read), `Blob` holds the name and modification
/// time, and transport-only properties are NULL.
struct FileMetadataTests {
    @Test func blobNameAndEventIdOfFileEvents() throws {
        let dir = NSTemporaryDirectory() + "saql-meta-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"a\":1}\n\n{\"a\":2}\nnot json\n{\"a\":2}\n".write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        try "[{\"a\":1},\n {\"a\":2}]".write(toFile: dir + "/array.json", atomically: true, encoding: .utf8)
        func run(_ file: String) throws -> [[String: Any]] {
            try """
                CREATE INPUT i WITH (connector = 'file', path = '\(file)');
                CREATE OUTPUT o WITH (connector = 'file', path = 'out.jsonl');
                SELECT a, GetMetadataPropertyValue(i, 'EventId') AS id, GetMetadataPropertyValue(i, 'BlobName') AS blob,
                       GetMetadataPropertyValue(i, 'IoTHub.ConnectionDeviceId') AS dev, GetMetadataPropertyValue(i, 'Blob') AS rec,
                       GetMetadataPropertyValue(i, '[Blob].[BlobLastModifiedUtcTime]') AS modified INTO o FROM i
                """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
            let (status, _) = try runSAQL(["run", dir + "/job.saql"])
            #expect(status == 0)
            return try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        }
        let rows = try run("in.jsonl")
        try #require(rows.count == 3)
        #expect(rows.allSatisfy { ($0["blob"] as? String)?.hasSuffix("/in.jsonl") ?? false })
        #expect(rows.allSatisfy { $0["dev"] is NSNull })
        let modified = try FileManager.default.attributesOfItem(atPath: dir + "/in.jsonl")[.modificationDate] as? Date
        let stamp = try #require(rows[0]["modified"] as? String)
        #expect(stamp.hasSuffix("Z") && modified.map { abs(ISO8601DateFormatter().date(from: String(stamp.prefix(19)) + "Z")?.timeIntervalSince($0) ?? 99) < 1.5 } == true)
        #expect((rows[0]["rec"] as? [String: Any])?["BlobLastModifiedUtcTime"] as? String == stamp)
        #expect(((rows[0]["rec"] as? [String: Any])?["BlobName"] as? String)?.hasSuffix("/in.jsonl") == true)
        let ids = rows.compactMap { $0["id"] as? String }
        // Equal payloads on different lines are different events.
        #expect(Set(ids).count == 3 && ids.allSatisfy { $0.count == 36 && $0.filter { $0 == "-" }.count == 4 })
        #expect(try run("in.jsonl").compactMap { $0["id"] as? String } == ids)
        let array = try run("array.json")
        #expect(array.count == 2 && Set(array.compactMap { $0["id"] as? String }).count == 2)
        #expect(array.allSatisfy { ($0["blob"] as? String)?.hasSuffix("/array.json") ?? false })
    }
}
