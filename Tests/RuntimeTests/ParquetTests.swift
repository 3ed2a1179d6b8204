import Foundation
import SAQL
import Planner
import Runtime
import Testing

/// Parquet output read back by pyarrow and DuckDB: types, NULLs, records and arrays, schema
/// changes, empty files, and files rolled by size, rows and time.
@Suite(.enabled(if: LakeReaders.enabled, "needs python3 with pyarrow, duckdb and fastavro (scripts/lake-readers.sh)"))
struct ParquetTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-parquet-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `job` in `dir`; returns saql's exit status and messages.
    func run(_ job: String, in dir: String) throws -> (Int32, String) {
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return try runSAQL(["run", dir + "/job.saql"], includingErrors: true)
    }

    @Test func everyTypeNullsRecordsAndArraysReadBackAsWritten() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        for i in 0..<500 {
            let t = Timestamp(ticks: Timestamp(year: 2024, month: 3, day: 1).ticks + Int64(i) * 10_000_000)
            let name = i % 7 == 0 ? "null" : "\"dev-\(i % 13)\(i % 50 == 0 ? " ünï \\\"q\\\"" : "")\""
            let reading = i % 5 == 0 ? "null" : "\(Double(i) / 4)"
            lines.append(#"{"Id":\#(i),"Name":\#(name),"Reading":\#(reading),"Time":"\#(t.iso8601)","Nested":{"a":\#(i),"b":[1,"x",null]},"Tags":["t\#(i % 3)"]}"#)
        }
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let select = """
            SELECT Id, Name, Reading, Id % 2 = 0 AS Even, CAST(Time AS datetime) AS At,
                DATEADD(millisecond, Id, CAST(Time AS datetime)) AS AtMs, Nested, Tags, NULL AS Nothing,
                CASE WHEN Id < 250 THEN Id ELSE Id + 0.5 END AS Widened, System.Timestamp() AS T
            """
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'out.jsonl');
            CREATE OUTPUT Snappy WITH (connector = 'file', path = 'snappy.parquet', row_group_rows = '64');
            CREATE OUTPUT Zstd WITH (connector = 'file', path = 'zstd.parquet', compression = 'zstd');
            CREATE OUTPUT Plain WITH (connector = 'file', path = 'plain.parquet', compression = 'none', row_group_rows = '1000');
            WITH T AS (SELECT * FROM In TIMESTAMP BY Time)
            \(select) INTO Json FROM T
            \(select) INTO Snappy FROM T
            \(select) INTO Zstd FROM T
            \(select) INTO Plain FROM T
            """, in: dir)
        #expect(status == 0, "\(log)")
        for name in ["snappy", "zstd", "plain"] {
            let files = LakeReaders.files(under: dir, suffix: ".parquet").filter { $0.contains("/\(name)") }
            let (ok, report) = try LakeReaders.compare(jsonl: dir + "/out.jsonl", files: files)
            #expect(ok, "\(name): \(report)")
            #expect(report.contains("ok 500"), "\(name): \(report)")
        }
        // Snappy's row groups end at 64 rows: the Widened column turns float after the schema is
        // fixed as bigint, so that file is finished and the rows go on in the next part.
        #expect(FileManager.default.fileExists(atPath: dir + "/snappy-1.parquet"))
        // In one 1000-row group the column widens to float instead: one file.
        #expect(!FileManager.default.fileExists(atPath: dir + "/plain-1.parquet"))
        #expect(LakeReaders.files(under: dir, suffix: ".inprogress").isEmpty)
    }

    @Test func anOutputWithoutRowsIsAnEmptyParquetFile() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"a":1}"#.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/empty.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.parquet');
            SELECT a INTO Out FROM In WHERE a > 1
            """, in: dir)
        #expect(status == 0, "\(log)")
        let (ok, report) = try LakeReaders.compare(jsonl: dir + "/empty.jsonl", files: [dir + "/out.parquet"])
        #expect(ok && report.contains("ok 0"), "\(report)")
    }

    @Test func filesRollBySizeAndRowsAndEveryPartIsComplete() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start = Timestamp(year: 2024, month: 1, day: 1).ticks
        let lines = (0..<6000).map { i in
            #"{"DeviceId":"dev-\#(i % 20)","Temperature":\#(Double(i % 700) / 10),"Time":"\#(Timestamp(ticks: start + Int64(i) * 10_000_000).iso8601)"}"#
        }
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'all.jsonl');
            CREATE OUTPUT BySize WITH (connector = 'file', path = 'size/{date}/{time}/t.parquet', max_file_size = '8KB', row_group_rows = '100');
            CREATE OUTPUT ByRows WITH (connector = 'file', path = 'rows/t.parquet', min_rows = '1000');
            SELECT DeviceId, Temperature, Time INTO Json FROM In TIMESTAMP BY Time
            SELECT DeviceId, Temperature, Time INTO BySize FROM In TIMESTAMP BY Time
            SELECT DeviceId, Temperature, Time INTO ByRows FROM In TIMESTAMP BY Time
            """, in: dir)
        #expect(status == 0, "\(log)")
        let bySize = LakeReaders.files(under: dir + "/size", suffix: ".parquet")
        let byRows = LakeReaders.files(under: dir + "/rows", suffix: ".parquet")
        #expect(bySize.count > 4, "6000 rows over two hours at 8 KB a file: \(bySize)")
        #expect(bySize.contains(dir + "/size/2024/01/01/00/t-1.parquet"))
        #expect(byRows.count == 6, "\(byRows)")
        for files in [bySize, byRows] {
            let (ok, report) = try LakeReaders.compare(jsonl: dir + "/all.jsonl", files: files)
            #expect(ok && report.contains("ok 6000"), "\(report)")
        }
        #expect(LakeReaders.files(under: dir, suffix: ".inprogress").isEmpty)
    }

    /// `max_time`: a file that has held rows that long is finished when the next row comes.
    @Test func filesRollByTime() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try Engine(job: """
            CREATE OUTPUT Out WITH (connector = 'file', path = '\(dir)/t.parquet', max_time = '1s');
            CREATE OUTPUT Json WITH (connector = 'file', path = '\(dir)/all.jsonl');
            SELECT n INTO Out FROM In
            SELECT n INTO Json FROM In
            """)
        for burst in 0..<3 {
            for i in 0..<10 { try await engine.push(json: #"{"n":\#(burst * 10 + i)}"#, to: "In") }
            if burst < 2 { try await Task.sleep(for: .milliseconds(1300)) }
        }
        try await engine.finish()
        let files = LakeReaders.files(under: dir, suffix: ".parquet")
        #expect(files.count == 3, "three bursts 1.3 s apart: \(files)")
        let (ok, report) = try LakeReaders.compare(jsonl: dir + "/all.jsonl", files: files)
        #expect(ok && report.contains("ok 30"), "\(report)")
    }

    @Test func parquetIsAnOutputFormatOnly() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.parquet');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.parquet', compression = 'lz4');
            SELECT * INTO Out FROM In
            """, in: dir)
        #expect(status != 0)
        #expect(log.contains("Parquet files cannot be read as an input"), "\(log)")
        #expect(log.contains("unknown Parquet compression 'lz4'"), "\(log)")
    }
}
