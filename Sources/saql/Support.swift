#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error.
func printError(_ text: String, terminator: String = "\n") {
    var bytes = Array((text + terminator).utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}

/// The process environment, for `${VAR}` in job headers.
enum ProcessEnvironment {
    static var all: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }
}

struct FileReadError: Error, CustomStringConvertible {
    var description: String
}

/// Reads a whole UTF-8 text file.
func readTextFile(_ path: String) throws -> String {
    guard let f = fopen(path, "rb") else { throw FileReadError(description: "cannot read '\(path)': \(String(cString: strerror(errno)))") }
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
