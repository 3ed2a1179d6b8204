#if canImport(Glibc)
import Glibc
#endif
import Planner

/// Writes an output into one file per time partition of the rows' event times (ASA's blob path
/// patterns): `lake/{date}/{time}/telemetry.jsonl`; a path without tokens is one partition.
///
/// A file is written as `<path>.inprogress` and finished by an atomic rename once the output's
/// watermark passes its partition's end, or earlier when it reaches `max_file_size`, `min_rows` or
/// `max_time`, or when its format refuses a row (a Parquet schema change); the partition then goes
/// on in `<name>-1.<ext>`, `-2`, ... Finished files are complete: a checkpoint records each open
/// file's writer state (its length, and for Parquet its row groups), and a restored run cuts the
/// file back (renaming it back to `.inprogress` if it had been finished since), then writes the same
/// rows to the same files again.
final class PartitionedFileWriter: RowWriter {
    private let template: PathTemplate
    private let options: PartitionedFileOptions

    private final class OpenFile {
        let base: String
        let part: Int
        let end: Int64
        let writer: any FileFormatWriter
        var rows: Int
        /// When the file took its first row (wall clock), for `max_time`.
        var opened = Timestamp.now.ticks
        init(base: String, part: Int, end: Int64, writer: any FileFormatWriter, rows: Int = 0) {
            self.base = base
            self.part = part
            self.end = end
            self.writer = writer
            self.rows = rows
        }
        var path: String { PartitionedFileWriter.partPath(base, part) }
    }

    /// Open files by partition start.
    private var open: [Int64: OpenFile] = [:]
    /// The next part number of each base path (paths can repeat when the pattern is coarse).
    private var nextPart: [String: Int] = [:]
    private var last: (start: Int64, end: Int64, file: OpenFile)?

    private let errorHandling: WriteErrorHandling?
    private let columns: [String]

    init(options: PartitionedFileOptions, resume: [UInt8]?, errorHandling: WriteErrorHandling? = nil, columns: [String] = []) throws {
        self.options = options
        self.errorHandling = errorHandling
        self.columns = columns
        template = PathTemplate(options)
        guard let resume, !resume.isEmpty else {
            // One file for the whole output exists from the start, so an output without rows is an empty file.
            if template.isWhole { _ = try file(for: 0) }
            return
        }
        var r = StateReader(bytes: resume)
        for _ in 0..<(try r.readCount()) { nextPart[try r.readString()] = try r.readInt() }
        for _ in 0..<(try r.readCount()) {
            let start = try r.readInt64(), end = try r.readInt64(), base = try r.readString(), part = try r.readInt()
            let rows = try r.readInt(), state = try r.readBytes()
            let path = Self.partPath(base, part)
            if access(path + ".inprogress", F_OK) != 0 && access(path, F_OK) == 0 {
                // Finished after the checkpoint: it is reopened and written again from there.
                guard rename(path, path + ".inprogress") == 0 else { throw ConnectorError("cannot reopen '\(path)' to resume it") }
            }
            let writer = try options.format.makeWriter(path: path + ".inprogress", resume: state, errorHandling: errorHandling, columns: columns)
            open[start] = OpenFile(base: base, part: part, end: end, writer: writer, rows: rows)
        }
    }

    /// `name.ext` for part 0, `name-N.ext` after.
    static func partPath(_ base: String, _ part: Int) -> String {
        guard part > 0 else { return base }
        let slash = base.lastIndex(of: "/").map { base.index(after: $0) } ?? base.startIndex
        if let dot = base[slash...].lastIndex(of: "."), dot > slash {
            return base[..<dot] + "-\(part)" + base[dot...]
        }
        return base + "-\(part)"
    }

    private func file(for t: Int64) throws -> OpenFile {
        if let l = last, t >= l.start, t < l.end { return l.file }
        let (start, end) = template.partition(of: t)
        if let f = open[start] {
            last = (start, end, f)
            return f
        }
        let base = template.render(t)
        let part = nextPart[base, default: 0]
        nextPart[base] = part + 1
        let writer = try options.format.makeWriter(path: Self.partPath(base, part) + ".inprogress", resume: nil, errorHandling: errorHandling, columns: columns)
        let f = OpenFile(base: base, part: part, end: end, writer: writer)
        open[start] = f
        last = (start, end, f)
        return f
    }

    func write(_ row: RowRef, shape: RowShape) throws {
        var f = try file(for: row.time)
        if !f.writer.fits(row, shape: shape) || expired(f) {
            try finish(f, partitionOf: row.time)
            f = try file(for: row.time)
        }
        try f.writer.write(row, shape: shape)
        f.rows += 1
        if f.rows == 1 { f.opened = Timestamp.now.ticks }
        if full(f) { try finish(f, partitionOf: row.time) }
    }

    /// Whether the file has reached its size or row limit.
    private func full(_ f: OpenFile) -> Bool {
        if let max = options.maxFileBytes, f.writer.size >= max { return true }
        if let min = options.minRows, f.rows >= min { return true }
        return false
    }

    /// Whether the file has held rows for `max_time`.
    private func expired(_ f: OpenFile) -> Bool {
        guard let t = options.maxTime, f.rows > 0 else { return false }
        return Timestamp.now.ticks - f.opened >= t
    }

    /// Finishes a partition's open file before its end: the partition continues in its next part.
    private func finish(_ f: OpenFile, partitionOf t: Int64) throws {
        try finish(f)
        open[template.partition(of: t).start] = nil
        last = nil
    }

    /// Completes, syncs and closes a file, and renames it to its final name (the rename is the commit).
    private func finish(_ f: OpenFile) throws {
        try f.writer.finish()
        guard rename(f.path + ".inprogress", f.path) == 0 else {
            throw ConnectorError("cannot rename '\(f.path).inprogress' to '\(f.path)': \(String(cString: strerror(errno)))")
        }
        CrashPoint.fileRotation.pass()
    }

    func watermark(_ time: Int64) throws {
        for (start, f) in open.sorted(by: { $0.key < $1.key }) where f.end <= time || expired(f) {
            try finish(f)
            open[start] = nil
            if last?.file === f { last = nil }
        }
    }

    func flush() throws { for f in open.values { try f.writer.flush() } }

    func close() throws {
        try watermark(.max)
    }

    func checkpoint() throws -> [UInt8] {
        var w = StateWriter()
        w.write(nextPart.count)
        for (base, n) in nextPart.sorted(by: { $0.key < $1.key }) {
            w.write(base)
            w.write(n)
        }
        w.write(open.count)
        for (start, f) in open.sorted(by: { $0.key < $1.key }) {
            w.write(start)
            w.write(f.end)
            w.write(f.base)
            w.write(f.part)
            w.write(f.rows)
            w.write(bytes: try f.writer.checkpoint())
        }
        return w.bytes
    }
}
