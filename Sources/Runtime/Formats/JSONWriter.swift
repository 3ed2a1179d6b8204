import Planner

/// Writes values as JSON text into byte buffers, with ASA's mappings: datetime as ISO-8601 with
/// 7 fractional digits and `Z`, bit as true/false, records and arrays nested. Non-finite floats
/// (which JSON cannot hold) are written as the strings "NaN", "Infinity" and "-Infinity".
package enum JSONWriter {
    package static func append(_ v: Value, to out: inout [UInt8]) {
        switch v {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bigint(let i): appendInteger(i, to: &out)
        case .float(let d):
            if d.isFinite {
                if d == d.rounded(.towardZero), Swift.abs(d) < 1e15 {
                    appendInteger(Int64(d), to: &out)
                    out.append(contentsOf: [0x2E, 0x30])  // ".0": keep floats recognisable as floats
                } else {
                    out.append(contentsOf: String(d).utf8)
                }
            } else {
                appendString(d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity", to: &out)
            }
        case .string(let s): appendString(s, to: &out)
        case .datetime(let t):
            out.append(0x22)
            t.appendISO8601(to: &out)
            out.append(0x22)
        case .bit(let b): out.append(contentsOf: b ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .record(let r):
            out.append(0x7B)
            for i in 0..<r.count {
                if i > 0 { out.append(0x2C) }
                appendString(r.names[i], to: &out)
                out.append(0x3A)
                append(r.values[i], to: &out)
            }
            out.append(0x7D)
        case .array(let a):
            out.append(0x5B)
            for (i, x) in a.enumerated() {
                if i > 0 { out.append(0x2C) }
                append(x, to: &out)
            }
            out.append(0x5D)
        }
    }

    @inline(__always)
    package static func appendInteger(_ i: Int64, to out: inout [UInt8]) {
        if i == 0 { out.append(0x30); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = i.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[count] = UInt8(0x30 + n % 10)
                n /= 10
                count += 1
            }
            if i < 0 { out.append(0x2D) }
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buf[k]) }
        }
    }

    package static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
