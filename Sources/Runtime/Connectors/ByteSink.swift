#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An I/O failure in a connector, with the path or resource it concerns.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A buffered writer to a file descriptor (a file, or standard output).
final class ByteSink {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let name: String
    var buffer: [UInt8] = []
    private let flushAt = 1 << 20

    /// Opens (creating or truncating) `path`, creating missing parent directories.
    init(path: String) throws {
        try Self.makeParentDirectories(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConnectorError("cannot open '\(path)' for writing: \(String(cString: strerror(errno)))") }
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
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectorError("cannot write to \(name): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if ownsDescriptor { _ = Glibc.close(fd) }
    }

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
