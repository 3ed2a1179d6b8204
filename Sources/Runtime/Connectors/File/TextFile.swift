#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole text files, read and written with the C library (job files, golden files, test outputs).
package enum TextFile {
    /// The file's bytes as UTF-8 text.
    package static func read(_ path: String) throws -> String {
        guard let f = fopen(path, "rb") else { throw ConnectorError("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text`, replacing the file; creates missing parent directories.
    package static func write(_ text: String, to path: String) throws {
        try ByteSink.makeParentDirectories(path)
        guard let f = fopen(path, "wb") else { throw ConnectorError("cannot write '\(path)': \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, bytes.count, f) }) == bytes.count else {
            throw ConnectorError("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
