import Foundation
import Testing

/// A real HTTP server on loopback (scripts/http-sink.py: Python's http.server, keep-alive) that
/// answers as it is told and logs every request it got.
final class HTTPSink {
    struct Request {
        var status: Int
        var bytes: Int
        var authorization: String?
        /// The posted rows' `Seq`s, for answers of 2xx.
        var seqs: [Int]
    }

    let process = Process()
    let port: Int
    let log: String

    init(_ arguments: [String] = [], port: Int = 0) throws {
        let dir = NSTemporaryDirectory() + "saql-http-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        log = dir + "/requests.jsonl"
        let portFile = dir + "/port"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", ExampleJobTests.root + "/scripts/http-sink.py", "--port", String(port),
                             "--port-file", portFile, "--log", log] + arguments
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) {
                self.port = p
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        throw TestFailure("http-sink.py did not start")
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)/api/hook" }

    func stop() {
        // SIGKILL: the test process may hand its children SIGTERM ignored.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func requests() -> [Request] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let status = o["status"] as? Int, let bytes = o["bytes"] as? Int else { return nil }
            let body = o["body"] as? [[String: Any]] ?? []
            return Request(status: status, bytes: bytes, authorization: o["authorization"] as? String,
                           seqs: body.compactMap { $0["Seq"] as? Int })
        }
    }

    /// The rows delivered (answered 2xx), in the order they arrived.
    func delivered() -> [Int] { requests().filter { (200..<300).contains($0.status) }.flatMap(\.seqs) }
}

/// The `http` output (the Azure Functions role) against a real local HTTP server.
@Suite struct HTTPTests {
    /// A job reading `rows` events with a `Seq` (and `pad` characters of text each), writing them to
    /// the `http` output declared by `output`.
    func job(rows: Int, pad: Int = 20, output: String, settings: String = "") throws -> String {
        let dir = NSTemporaryDirectory() + "saql-http-job-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = String(repeating: "x", count: pad)
        try ((0..<rows).map { #"{"Seq":\#($0),"Text":"\#(text)"}"# }.joined(separator: "\n") + "\n")
            .write(toFile: dir + "/rows.jsonl", atomically: true, encoding: .utf8)
        try """
            \(settings)
            CREATE INPUT Rows WITH (connector = 'file', path = 'rows.jsonl');
            \(output)
            SELECT Seq, Text INTO Hook FROM Rows
            """.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return dir
    }

    /// Runs `saql <command> job.saql` to its end; returns the exit status and standard error.
    func run(_ dir: String, _ command: String = "run", arguments: [String] = [], environment: [String: String] = [:],
             whileRunning: (() throws -> Void)? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CheckpointTests.saql)
        p.arguments = [command, dir + "/job.saql"] + arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = dir + "/stderr-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        try p.run()
        try whileRunning?()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test func batchesKeepToTheRowAndByteLimitsAndCarryTheHeaders() throws {
        let sink = try HTTPSink()
        let dir = try job(rows: 1_000, output: """
            CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)?code=function-key', max_batch_count = 70,
                max_batch_size = '2KB', headers.Authorization = '${TOKEN}')
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir, environment: ["TOKEN": "Bearer s3cret-token"])
        #expect(status == 0, "\(log)")
        let requests = sink.requests()
        #expect(sink.delivered() == Array(0..<1_000), "every row once, in order")
        #expect(requests.allSatisfy { $0.status == 200 && $0.bytes <= 2_048 && $0.seqs.count <= 70 })
        // Rows are about 40 bytes: the byte limit, not the count, closes these batches, and fills them.
        #expect(requests.dropLast().allSatisfy { $0.bytes > 2_048 - 60 }, "\(requests.map(\.bytes))")
        #expect(requests.allSatisfy { $0.authorization == "Bearer s3cret-token" })
        let (explained, plan) = try run(dir, "explain", environment: ["TOKEN": "Bearer s3cret-token"])
        #expect(explained == 0, "\(plan)")
        #expect(plan.contains("connector=http, url=\(sink.url), max_batch_count=70, max_batch_size=2048, headers=[authorization]"), "\(plan)")
        #expect(!plan.contains("s3cret") && !plan.contains("function-key"), "\(plan)")
        #expect(!log.contains("s3cret") && !log.contains("function-key"), "\(log)")
    }

    @Test func theCountLimitClosesBatchesOfSmallRows() throws {
        let sink = try HTTPSink()
        let dir = try job(rows: 1_050, pad: 0, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)')")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir)
        #expect(status == 0, "\(log)")
        // ASA's defaults: 100 rows, 256 KB.
        #expect(sink.requests().map(\.seqs.count) == Array(repeating: 100, count: 10) + [50])
        #expect(sink.delivered() == Array(0..<1_050))
    }

    /// 413: the batch is split in halves until they fit, and later batches keep to the count that fit.
    @Test func a413SplitsTheBatchAndLowersTheCount() throws {
        let sink = try HTTPSink(["--max-body", "1500"])
        let dir = try job(rows: 2_000, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)')")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir)
        #expect(status == 0, "\(log)")
        let requests = sink.requests()
        #expect(sink.delivered() == Array(0..<2_000), "every row once, in order")
        // 100 rows (about 4 KB) → 50 → 25 fit; after that every batch holds 25.
        #expect(requests.filter { $0.status == 413 }.count == 2, "\(requests.map(\.status))")
        #expect(requests.filter { $0.status == 200 }.allSatisfy { $0.seqs.count == 25 })
        #expect(log.contains("answered 413 (request entity too large); batches now hold at most 25 rows"), "\(log)")
    }

    /// A single row the endpoint refuses as too large is dropped under `drop` (and dead-lettered); the rest arrive.
    @Test func aRowTooLargeForTheEndpointIsDroppedAndDeadLettered() throws {
        let sink = try HTTPSink(["--max-body", "3000"])
        let dir = try job(rows: 10, pad: 0, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)')",
                          settings: "SET output_error_policy = 'drop';")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Row 4 carries 5,000 characters.
        let rows = (0..<10).map { #"{"Seq":\#($0),"Text":"\#(String(repeating: "y", count: $0 == 4 ? 5_000 : 3))"}"# }
        try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/rows.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run(dir, arguments: ["--dead-letter", dir + "/dead.jsonl"])
        #expect(status == 0, "\(log)")
        #expect(sink.delivered() == [0, 1, 2, 3, 5, 6, 7, 8, 9])
        #expect(log.contains("output errors=1"), "\(log)")
        let dead = try String(contentsOfFile: dir + "/dead.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(dead.count == 1 && dead[0].contains(#""reason":"output_error""#) && dead[0].contains("answered 413"), "\(dead)")
    }

    @Test func a500IsRetriedUntilTheEndpointAccepts() throws {
        let sink = try HTTPSink(["--fail-first", "3"])
        let dir = try job(rows: 300, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)')")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir)
        #expect(status == 0, "\(log)")
        #expect(sink.requests().prefix(3).allSatisfy { $0.status == 500 })
        #expect(sink.delivered() == Array(0..<300))
        #expect(log.contains("answered 500: refused by http-sink.py (retrying 100 row(s) in 0.1 s)"), "\(log)")
        #expect(log.contains("output retries=3"), "\(log)")
    }

    /// `drop`: batches the endpoint fails are counted and dead-lettered, and the run goes on to its end.
    @Test func dropPolicyCountsAndDeadLettersWhatFails() throws {
        let sink = try HTTPSink(["--status", "503"])
        let dir = try job(rows: 250, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)')",
                          settings: "SET output_error_policy = 'drop';")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir, arguments: ["--dead-letter", dir + "/dead.jsonl"])
        #expect(status == 0, "\(log)")
        #expect(sink.requests().count == 3, "one attempt per batch: \(sink.requests().count)")
        #expect(log.contains("output errors=250"), "\(log)")
        let dead = try String(contentsOfFile: dir + "/dead.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(dead.count == 250)
        #expect(dead.allSatisfy { $0.contains(#""input":"Hook""#) && $0.contains("answered 503") })
    }

    /// An answer no retry changes (401) stops a job under `retry`, naming the status; nothing is dropped silently.
    @Test func aClientErrorStopsTheJobUnderRetry() throws {
        let sink = try HTTPSink(["--status", "401"])
        let dir = try job(rows: 50, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(sink.url)', headers.Authorization = '${TOKEN}')")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir, environment: ["TOKEN": "wrong-token"])
        #expect(status != 0)
        #expect(log.contains("answered 401: refused by http-sink.py; 50 row(s) not delivered"), "\(log)")
        #expect(log.contains("output_error_policy = 'drop'"), "\(log)")
        #expect(!log.contains("wrong-token"))
    }

    /// An endpoint that is not there yet is waited for (retry with backoff), and gets every row once it is.
    @Test func anAbsentEndpointIsWaitedFor() throws {
        let probe = try HTTPSink()
        let port = probe.port
        probe.stop()
        let dir = try job(rows: 120, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = 'http://127.0.0.1:\(port)/hook')")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var sink: HTTPSink?
        let (status, log) = try run(dir) {
            Thread.sleep(forTimeInterval: 1.5)
            sink = try HTTPSink(port: port)
        }
        #expect(status == 0, "\(log)")
        #expect(sink?.delivered() == Array(0..<120))
        #expect(log.contains("Failed to connect to 127.0.0.1 port \(port)") && log.contains("retrying 100 row(s)"), "\(log)")
    }

    /// HTTPS against a self-signed certificate: delivered with tls.ca_file; without it the job stops at
    /// once with a hint (waiting does not make a certificate verify).
    @Test func httpsChecksTheServersCertificate() throws {
        let dir = NSTemporaryDirectory() + "saql-https-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
            + "-keyout \(dir)/key.pem -out \(dir)/cert.pem >/dev/null 2>&1") == 0)
        let sink = try HTTPSink(["--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"])
        let url = "https://127.0.0.1:\(sink.port)/hook"
        let trusted = try job(rows: 150, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(url)', tls.ca_file = '\(dir)/cert.pem')")
        defer { try? FileManager.default.removeItem(atPath: trusted) }
        let (status, log) = try run(trusted)
        #expect(status == 0, "\(log)")
        #expect(sink.delivered() == Array(0..<150))
        let untrusted = try job(rows: 10, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = '\(url)')")
        defer { try? FileManager.default.removeItem(atPath: untrusted) }
        let started = Date()
        let (refused, refusal) = try run(untrusted)
        #expect(refused != 0 && Date().timeIntervalSince(started) < 20, "\(refusal)")
        #expect(refusal.contains("the server's certificate did not verify: set tls.ca_file"), "\(refusal)")
        #expect(sink.delivered().count == 150)
    }

    @Test func optionsAreChecked() throws {
        let dir = try job(rows: 1, output: "CREATE OUTPUT Hook WITH (connector = 'http', url = 'ftp://example.com', max_batch_count = 0)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run(dir, "check")
        #expect(status != 0)
        #expect(log.contains("SAQL3050") && log.contains("'ftp://example.com' is not an http:// or https:// address"), "\(log)")
        #expect(log.contains("SAQL3051") && log.contains("max_batch_count '0' is not a whole number of at least 1"), "\(log)")
    }
}
