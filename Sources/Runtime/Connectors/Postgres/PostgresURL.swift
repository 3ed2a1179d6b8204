/// Connection strings as libpq reads them (`postgresql://user:password@host/db?sslmode=require` or
/// `host=... password=...`), shown without their password.
enum PostgresURL {
    /// The connection string with its password replaced by `***`.
    static func redacted(_ url: String) -> String {
        var s = url
        if let scheme = s.range(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@"),
           let colon = s[scheme.upperBound..<at].firstIndex(of: ":") {
            s.replaceSubrange(s.index(after: colon)..<at, with: "***")
        }
        // `password=...` as a URL parameter or a key=value pair.
        var out = ""
        var rest = Substring(s)
        while let r = rest.range(of: "password=") {
            out += rest[..<r.upperBound] + "***"
            rest = rest[r.upperBound...]
            rest = rest.drop { $0 != "&" && $0 != " " }
        }
        return out + rest
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
