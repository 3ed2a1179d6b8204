/// An identifier as written: plain, `[bracketed]` or `"double-quoted"`. `text` has the quotes removed.
package struct Name: Hashable, Sendable, CustomStringConvertible {
    package enum Quoting: Hashable, Sendable { case none, brackets, doubleQuotes, singleQuotes }

    package var text: String
    package var range: SourceRange
    package var quoting: Quoting

    package init(_ text: String, range: SourceRange = .unknown, quoting: Quoting = .none) {
        self.text = text
        self.range = range
        self.quoting = quoting
    }

    /// Case-insensitive comparison, as SAQL resolves names (compatibility level 1.1 and later).
    package func matches(_ other: String) -> Bool { text.caseInsensitiveEquals(other) }

    package var description: String { text }
}

extension StringProtocol {
    /// Case-insensitive equality without allocating: ASCII letters fold, other scalars compare exactly
    /// unless both sides contain non-ASCII text, which falls back to full Unicode lowercasing.
    package func caseInsensitiveEquals<S: StringProtocol>(_ other: S) -> Bool {
        var a = utf8.makeIterator(), b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x == y { continue }
                if x >= 0x80 || y >= 0x80 { return lowercased() == other.lowercased() }
                let fx = x >= 0x41 && x <= 0x5A ? x | 0x20 : x
                let fy = y >= 0x41 && y <= 0x5A ? y | 0x20 : y
                if fx != fy { return false }
            default: return false
            }
        }
    }
}
