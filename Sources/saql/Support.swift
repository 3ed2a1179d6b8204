import Planner
#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error, with every `${...}` value the job expanded redacted (``Secrets``).
func printError(_ text: String, terminator: String = "\n") {
    let bytes = Array((Secrets.redact(text) + terminator).utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { all in all.baseAddress.map { write(2, $0 + offset, all.count - offset) } ?? 0 }
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

