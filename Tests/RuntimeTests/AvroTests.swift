import Foundation
import Planner
import Runtime
import Testing

/// Avro output read back by fastavro: types, NULLs, records and arrays, codecs, schema changes,
/// empty files and rolled files.
@Suite(.enabled(if: LakeReaders.enabled, "needs python3 with pyarrow, duckdb and fastavro (scripts/lake-readers.sh)"))
struct AvroTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "saql-avro-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func run(_ job: String, in dir: String) throws -> (Int32, String) {
        try job.write(toFile: dir + "/job.saql", atomically: true, encoding: .utf8)
        return try runSAQL(["run", dir + "/job.saql"], includingErrors: true)
    }

    /// fastavro's view of a file: its schema's fields and codec, as JSON.
    func schema(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [LakeReaders.python, "-c", """
            import fastavro, json, sys
            r = fastavro.reader(open(sys.argv[1], "rb"))
            print(json.dumps({"codec": r.codec, "fields": {f["name"]: f["type"] for f in r.writer_schema["fields"]}}, sort_keys=True))
            """, path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }

    @Test func everyTypeNullsRecordsAndArraysReadBackAsWritten() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        for i in 0..<3000 {
            let t = Timestamp(ticks: Timestamp(year: 2024, month: 3, day: 1).ticks + Int64(i) * 10_000_000)
            let name = i % 7 == 0 ? "null" : "\"dev-\(i % 13)\(i % 50 == 0 ? " ünï \\\"q\\\"" : "")\""
            let reading = i % 5 == 0 ? "null" : "\(Double(i) / 4)"
            lines.append(#"{"Id":\#(i),"Name":\#(name),"Reading":\#(reading),"Time":"\#(t.iso8601)","Nested":{"a":\#(i),"b":[1,"x",null]},"Tags":["t\#(i % 3)"]}"#)
        }
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        // AtTick has 100 ns digits, which timestamp-micros cannot hold: it is ISO 8601 text.
        let select = """
            SELECT Id, Name, Reading, Id % 2 = 0 AS Even, CAST(Time AS datetime) AS At,
                DATEADD(millisecond, Id, CAST(Time AS datetime)) AS AtMs, Nested, Tags, NULL AS Nothing,
                CASE WHEN Id < 2500 THEN Id ELSE Id + 0.5 END AS Widened, System.Timestamp() AS T,
                DATEADD(nanosecond, 100, CAST(Time AS datetime)) AS AtTick
            """
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'out.jsonl');
            CREATE OUTPUT Deflate WITH (connector = 'file', path = 'deflate.avro', compression = 'deflate');
            CREATE OUTPUT Snappy WITH (connector = 'file', path = 'snappy.avro');  -- snappy by default
            CREATE OUTPUT Plain WITH (connector = 'file', path = 'plain.data', format = 'avro', compression = 'none');
            WITH T AS (SELECT * FROM In TIMESTAMP BY Time)
            \(select) INTO Json FROM T
            \(select) INTO Deflate FROM T
            \(select) INTO Snappy FROM T
            \(select) INTO Plain FROM T
            """, in: dir)
        #expect(status == 0, "\(log)")
        for (name, codec) in [("deflate", "deflate"), ("snappy", "snappy"), ("plain", "null")] {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(name) }.sorted().map { dir + "/" + $0 }
            // Widened turns float at row 2,500, inside the first 4,000-row block: the field widens.
            #expect(files.count == 1, "\(name): \(files)")
            let (ok, report) = try LakeReaders.compare(jsonl: dir + "/out.jsonl", files: files.map { $0.hasSuffix(".avro") ? $0 : try link($0) })
            #expect(ok && report.contains("ok 3000"), "\(name): \(report)")
            let s = try schema(files[0])
            #expect(s.contains(#""codec": "\#(codec)""#), "\(s)")
            #expect(s.contains(#""At": ["null", {"logicalType": "timestamp-micros", "type": "long"}]"#), "\(s)")
            #expect(s.contains(#""AtTick": ["null", "string"]"#) && s.contains(#""Even": ["null", "boolean"]"#), "\(s)")
            #expect(s.contains(#""Widened": ["null", "double"]"#) && s.contains(#""Id": ["null", "long"]"#), "\(s)")
        }
    }

    /// The compare script picks its reader by extension.
    func link(_ path: String) throws -> String {
        try? FileManager.default.removeItem(atPath: path + ".avro")
        try FileManager.default.createSymbolicLink(atPath: path + ".avro", withDestinationPath: path)
        return path + ".avro"
    }

    @Test func aFieldThatChangesTypeStartsTheNextFile() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = (0..<10).map { #"{"v":\#($0)}"# } + [#"{"v":"text"}"#, #"{"v":11,"w":true}"#]
            + (0..<5000).map { #"{"v":\#($0 + 12)}"# } + [#"{"v":2.5}"#]
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.avro', compression = 'snappy');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'all.jsonl');
            SELECT * INTO Out FROM In
            SELECT * INTO Json FROM In
            """, in: dir)
        #expect(status == 0, "\(log)")
        // Longs; then text (a new file); then a long again, with a new field (a new file); then a
        // double after the first block fixed the field as long (a new file).
        let files = ["out.avro", "out-1.avro", "out-2.avro", "out-3.avro"].map { dir + "/" + $0 }
        #expect(files.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(!FileManager.default.fileExists(atPath: dir + "/out-4.avro"))
        let (ok, report) = try LakeReaders.compare(jsonl: dir + "/all.jsonl", files: files)
        #expect(ok && report.contains("ok 5013"), "\(report)")
        #expect(try schema(files[1]).contains(#""v": ["null", "string"]"#))
        #expect(try schema(files[3]).contains(#""v": ["null", "double"]"#))
    }

    /// A compressed file's size grows block by block, so where `max_file_size` splits depends on
    /// when blocks end; every row is in exactly one finished file.
    @Test func filesRollBySize() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = (0..<20000).map { #"{"DeviceId":"dev-\#($0 % 50)","n":\#($0)}"# }
        try lines.joined(separator: "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out/t.avro', max_file_size = '40KB');
            CREATE OUTPUT Json WITH (connector = 'file', path = 'all.jsonl');
            SELECT * INTO Out FROM In
            SELECT * INTO Json FROM In
            """, in: dir)
        #expect(status == 0, "\(log)")
        let files = LakeReaders.files(under: dir + "/out", suffix: "")
        #expect(files.count > 2 && files.allSatisfy { $0.hasSuffix(".avro") }, "\(files)")
        let (ok, report) = try LakeReaders.compare(jsonl: dir + "/all.jsonl", files: files)
        #expect(ok && report.contains("ok 20000"), "\(report)")
    }

    @Test func anOutputWithoutRowsIsAnEmptyAvroFileWithTheColumns() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"a":1,"b":"x"}"#.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/empty.jsonl", atomically: true, encoding: .utf8)
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'in.jsonl');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.avro');
            SELECT a, b INTO Out FROM In WHERE a > 1
            """, in: dir)
        #expect(status == 0, "\(log)")
        let (ok, report) = try LakeReaders.compare(jsonl: dir + "/empty.jsonl", files: [dir + "/out.avro"])
        #expect(ok && report.contains("ok 0"), "\(report)")
        #expect(try schema(dir + "/out.avro").contains(#""fields": {"a": ["null", "string"], "b": ["null", "string"]}"#))
    }

    @Test func avroOptionsAreChecked() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, log) = try run("""
            CREATE INPUT In WITH (connector = 'file', path = 'capture', format = 'eventhubs-capture', arrival_time = 'At');
            CREATE OUTPUT Out WITH (connector = 'file', path = 'out.avro', compression = 'zstd');
            SELECT * INTO Out FROM In
            """, in: dir)
        #expect(status != 0)
        #expect(log.contains("a capture's events arrive at their EnqueuedTimeUtc"), "\(log)")
        #expect(log.contains("unknown Avro compression 'zstd'"), "\(log)")
    }
}
