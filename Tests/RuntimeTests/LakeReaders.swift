import Foundation
import Runtime

/// Independent readers of lake files (pyarrow and DuckDB for Parquet, fastavro for Avro; from PyPI),
/// run by Fixtures/lake_compare.py.
enum LakeReaders {
    /// `SAQL_READERS_PYTHON` (the test script's virtual environment), else `python3` on the path.
    static let python = ProcessInfo.processInfo.environment["SAQL_READERS_PYTHON"] ?? "python3"

    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", "import pyarrow, duckdb, fastavro, cramjam"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// `scripts/test.sh` installs the readers and sets this, so CI cannot skip the round trips.
    static let required = ProcessInfo.processInfo.environment["SAQL_REQUIRE_LAKE_READERS"] == "1"
    static let enabled = available || required

    /// Whether the Parquet files (read by pyarrow and by DuckDB) or the Avro files (read by fastavro)
    /// hold, as a multiset, exactly the rows of the JSON Lines file; the script's report.
    static func compare(jsonl: String, files: [String]) throws -> (ok: Bool, report: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, ExampleJobTests.root + "/Tests/RuntimeTests/Fixtures/lake_compare.py", jsonl] + files
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }

    /// Every file under `dir` by relative path, a Parquet file as its rows in order (``compare``'s
    /// `--dump`), so files that differ only in their row groups compare equal.
    static func dump(_ dir: String) throws -> [String: String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, ExampleJobTests.root + "/Tests/RuntimeTests/Fixtures/lake_compare.py", "--dump", dir]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ConnectorError("lake_compare.py --dump \(dir) failed") }
        var files: [String: String] = [:]
        for chunk in text.components(separatedBy: "== ").dropFirst() {
            let (name, rows) = chunk.firstIndex(of: "\n").map { (String(chunk[..<$0]), String(chunk[chunk.index(after: $0)...])) } ?? (chunk, "")
            files[name] = rows
        }
        return files
    }

    /// Every file under `dir` (recursively) whose name ends with `suffix`, sorted.
    static func files(under dir: String, suffix: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + $0 }
    }
}
