/// The checks an event's bytes pass before decoding, so no value is altered silently: the text
/// must be UTF-8 (RFC 8259 §8.1; invalid bytes would become U+FFFD) and hold no control character
/// but tab (RFC 8259 §7 forbids them unescaped in strings; outside strings they are not white
/// space). CR and LF never reach here (they end the line) unless inside a quoted CSV field.
enum TextValidation {
    /// The first problem and its byte offset, or nil for valid text.
    static func problem(in bytes: UnsafeBufferPointer<UInt8>, allowingNewlines: Bool) -> (message: String, offset: Int)? {
        guard let base = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        // Printable ASCII (no high bit, none below 0x20) is passed 32, then 8 bytes at a time; the
        // last partial word is checked overlapping the one before, so a clean line needs no byte loop.
        @inline(__always) func clean(_ w: UInt64) -> Bool {
            let high: UInt64 = 0x8080_8080_8080_8080
            return (w | ((w &- 0x2020_2020_2020_2020) & ~w)) & high == 0
        }
        let raw = UnsafeRawPointer(base)
        let high: UInt64 = 0x8080_8080_8080_8080, space: UInt64 = 0x2020_2020_2020_2020
        while i + 32 <= n {
            let a = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), b = raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            let c = raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self), d = raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
            // `clean` of the four words at once: one test and branch per 32 bytes.
            let low = ((a &- space) & ~a) | ((b &- space) & ~b) | ((c &- space) & ~c) | ((d &- space) & ~d)
            guard (a | b | c | d | low) & high == 0 else { break }
            i += 32
        }
        while i + 8 <= n, clean(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
        if i < n, n >= 8, i + 8 > n, clean(raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) { return nil }
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b < 0x20 && b != 0x09 && !(allowingNewlines && (b == 0x0A || b == 0x0D)) {
                    return ("control character U+\(hex(b)) in the text (write it escaped)", i)
                }
                i += 1
                continue
            }
            // A multi-byte sequence: its length, and the range its second byte may take (which
            // excludes overlong forms, surrogates and code points past U+10FFFF).
            let length: Int, low: UInt8, high: UInt8
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE, 0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return ("invalid UTF-8 byte 0x\(hex(b))", i)
            }
            guard i + length <= n, (low...high).contains(bytes[i + 1]),
                  (2..<length).allSatisfy({ bytes[i + $0] & 0xC0 == 0x80 }) else {
                return ("invalid UTF-8 sequence at byte 0x\(hex(b))", i)
            }
            i += length
        }
        return nil
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}
