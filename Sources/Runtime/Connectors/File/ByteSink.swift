#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Planner

/// A buffered writer to a file descriptor (a file, or standard output).
///
/// With `errorHandling`, a failed write (a full disk, an I/O error) is retried with a doubling
/// backoff capped at 30 s under `retry` (the job waits), or its lines are counted as output errors
/// and dropped under `drop`. Without it, the error is thrown.
final class ByteSink {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let name: String
    var buffer: [UInt8] = []
    private let flushAt = 1 << 20

    /// Bytes written to the descriptor so far (plus `resumeAt`).
    private(set) var written: Int64 = 0

    /// Opens (creating or truncating) `path`, creating missing parent directories. With `resumeAt`,
    /// the file is cut to that length instead and written on from there (restoring a checkpoint:
    /// rows written after it are removed, to be written again).
    var errorHandling: WriteErrorHandling?

    init(path: String, resumeAt: Int64? = nil, errorHandling: WriteErrorHandling? = nil) throws {
        self.errorHandling = errorHandling
        try Self.makeParentDirectories(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConnectorError("cannot open '\(path)' for writing: \(String(cString: strerror(errno)))") }
        // A regular file is locked before it is cut, so a second process fails without touching
        // the first's rows. Devices (/dev/null, a pipe) are neither locked nor cut.
        var info = stat()
        let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        guard !regular || flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            _ = Glibc.close(fd)
            throw ConnectorError("output file '\(path)' is in use by another saql process; stop it first (two runs would interleave their writes)")
        }
        if regular, resumeAt == nil, ftruncate(fd, 0) != 0 {
            _ = Glibc.close(fd)
            throw ConnectorError("cannot truncate '\(path)': \(String(cString: strerror(errno)))")
        }
        if let resumeAt {
            var info = stat()
            guard fstat(fd, &info) == 0, Int64(info.st_size) >= resumeAt, ftruncate(fd, off_t(resumeAt)) == 0,
                  lseek(fd, off_t(resumeAt), SEEK_SET) == off_t(resumeAt) else {
                _ = Glibc.close(fd)
                throw ConnectorError("cannot resume '\(path)' at byte \(resumeAt): the file is shorter or cannot be cut")
            }
            written = resumeAt
        }
        self.fd = fd
        ownsDescriptor = true
        name = path
        buffer.reserveCapacity(flushAt + 4096)
    }

    init(standardOutput: ()) {
        fd = 1
        ownsDescriptor = false
        name = "standard output"
    }

    @inline(__always)
    func maybeFlush() throws { if buffer.count >= flushAt { try flush() } }

    func flush() throws {
        var offset = 0
        var backoff = 0.1
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                guard let h = errorHandling else { throw ConnectorError("cannot write to \(name): \(reason)") }
                if h.policy == .drop {
                    let lines = buffer[offset...].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                    h.context.counters.outputErrors += lines
                    h.context.onRowError?("output '\(h.output)': \(lines) row(s) dropped: cannot write to \(name): \(reason)")
                    written += Int64(offset)
                    buffer.removeAll(keepingCapacity: true)
                    return
                }
                if h.context.isStopping() {
                    throw ConnectorError("output '\(h.output)': stopped while retrying to write to \(name) (\(reason)); "
                        + "the rows since the last flush were not written")
                }
                h.context.counters.outputRetries += 1
                h.context.onRowError?("output '\(h.output)': cannot write to \(name): \(reason) (retrying in \(backoff) s)")
                h.context.retryPause(seconds: backoff)
                backoff = min(backoff * 2, 30)
                continue
            }
            offset += n
        }
        written += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and waits until the bytes are on disk.
    func sync() throws {
        try flush()
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw ConnectorError("cannot sync \(name): \(String(cString: strerror(errno)))")
        }
    }

    func close() throws {
        guard !closed else { return }
        try flush()
        closed = true
        if ownsDescriptor { _ = Glibc.close(fd) }
    }

    private var closed = false

    /// A sink given up without `close` (a failed run) releases its descriptor; what was not flushed
    /// is lost, as a crash would lose it, and a restore cuts the file back to its checkpoint.
    deinit { if ownsDescriptor && !closed { _ = Glibc.close(fd) } }

    static func makeParentDirectories(_ path: String) throws {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !parts.isEmpty else { return }
        var current = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { parts = parts.dropFirst() }
        for p in parts where !p.isEmpty {
            current += "/" + p
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ConnectorError("cannot create directory '\(current)': \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// The resume position of a file writer: its length.
func filePosition(_ sink: ByteSink) throws -> [UInt8] {
    try sink.sync()
    var w = StateWriter()
    w.write(sink.written)
    return w.bytes
}

/// Reads a position written by ``filePosition(_:)``.
func fileResumeOffset(_ position: [UInt8]?) throws -> Int64? {
    guard let position, !position.isEmpty else { return nil }
    var r = StateReader(bytes: position)
    return try r.readInt64()
}
