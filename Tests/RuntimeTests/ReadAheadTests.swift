import Foundation
import Testing

/// File inputs read by lanes (`--read-ahead N`) give exactly what one thread gives: the same rows in
/// the same order, the same counts and the same dead letters, with malformed and blank lines, a
/// CSV header and quoted newlines, and batches that end at every kind of line.
struct ReadAheadTests {
    /// JSON Lines with a malformed line every 97 events, blank lines, a CRLF now and then.
    static func jsonLines(_ n: Int) -> String {
        var out = ""
        for i in 0..<n {
            if i % 97 == 13 { out += "{\"DeviceId\": \"bad\", oops}\n"; continue }
            if i % 89 == 5 { out += "\n   \n" }
            let t = String(format: "2024-01-01T00:%02d:%02d.%03dZ", (i / 600) % 60, (i / 10) % 60, i % 10 * 100)
            out += "{\"DeviceId\":\"dev-\(i % 7)\",\"EventTime\":\"\(t)\",\"Temperature\":\(Double(i % 50) + 0.5)}" + (i % 31 == 0 ? "\r\n" : "\n")
        }
        return out
    }

    static func csv(_ n: Int) -> String {
        var out = "DeviceId,EventTime,Temperature,Note\n"
        for i in 0..<n {
            let t = String(format: "2024-01-01T00:%02d:%02d.%03dZ", (i / 600) % 60, (i / 10) % 60, i % 10 * 100)
            let note = i % 53 == 0 ? "\"two\nlines\"" : "plain"
            out += "dev-\(i % 7),\(t),\(i % 50),\(note)\n"
        }
        return out
    }

    func run(_ lanes: Int, input: String, format: String) throws -> (status: Int32, log: String, rows: String, dead: String) {
        let dir = NSTemporaryDirectory() + "saql-readahead-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = """
            CREATE INPUT Telemetry WITH (connector = 'file', path = 'in.\(format)');
            CREATE OUTPUT Rows WITH (connector = 'file', path = 'rows.jsonl');
            CREATE OUTPUT Windows WITH (connector = 'file', path = 'windows.jsonl');
            SELECT DeviceId, EventTime, Temperature INTO Rows FROM Telemetry TIMESTAMP BY EventTime WHERE Temperature > 40;
            SELECT DeviceId, COUNT(*) AS n, AVG(Temperature) AS t, System.Timestamp() AS w INTO Windows
            FROM Telemetry TIMESTAMP BY EventTime GROUP BY DeviceId, TumblingWindow(second, 10)
            """
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        try input.write(toFile: dir + "/in.\(format)", atomically: true, encoding: .utf8)
        let (status, log) = try runSAQL(["run", dir + "/job.saql", "--read-ahead", String(lanes), "--batch-size", "100",
                                         "--dead-letter", dir + "/dead.jsonl"], includingErrors: true)
        let rows = try String(contentsOfFile: dir + "/rows.jsonl", encoding: .utf8) + String(contentsOfFile: dir + "/windows.jsonl", encoding: .utf8)
        // Positions name the file; each run has a directory of its own.
        let dead = ((try? String(contentsOfFile: dir + "/dead.jsonl", encoding: .utf8)) ?? "").replacingOccurrences(of: dir, with: "DIR")
        return (status, log, rows, dead)
    }

    @Test(arguments: ["jsonl", "csv"])
    func lanesGiveWhatOneThreadGives(_ format: String) throws {
        let input = format == "csv" ? Self.csv(5_000) : Self.jsonLines(5_000)
        let one = try run(0, input: input, format: format)
        #expect(one.status == 0, "\(one.log)")
        #expect(!one.rows.isEmpty)
        if format == "jsonl" {
            #expect(one.log.contains("malformed=52"), "\(one.log)")
            #expect(one.dead.split(separator: "\n").count == 52)
        }
        for lanes in [1, 2, 3] {
            let many = try run(lanes, input: input, format: format)
            #expect(many.status == 0)
            #expect(many.rows == one.rows, "\(lanes) lanes")
            #expect(many.dead == one.dead, "\(lanes) lanes: dead letters")
            // The summary line (events in and out, malformed): the same counts.
            #expect(many.log.split(separator: "\n").last == one.log.split(separator: "\n").last, "\(many.log)")
        }
    }
}
