/// Splits SAQL text into tokens. Total: malformed input yields `.invalid` tokens and diagnostics,
/// never an exception. Comments (`-- ...`, `/* ... */`) and whitespace are skipped.
package struct Lexer {
    private let bytes: [UInt8]
    private var pos = 0
    package private(set) var diagnostics: [Diagnostic] = []

    package init(_ text: String) { bytes = Array(text.utf8) }

    /// Tokenizes the whole text; the last token is always `.endOfFile`.
    package static func tokenize(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            tokens.append(t)
            if t.kind == .endOfFile { break }
        }
        return (tokens, lexer.diagnostics)
    }

    private func peek(_ k: Int = 0) -> UInt8? { pos + k < bytes.count ? bytes[pos + k] : nil }

    private mutating func skipTrivia() {
        while let c = peek() {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C {
                pos += 1
            } else if c == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                while let d = peek(), d != 0x0A { pos += 1 }
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = pos
                pos += 2
                var closed = false
                while pos < bytes.count {
                    if bytes[pos] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") { pos += 2; closed = true; break }
                    pos += 1
                }
                if !closed {
                    diagnostics.append(.error("SAQL1001", "unterminated block comment", at: SourceRange(start, start + 2),
                                              helps: [.init("close the comment with '*/'")]))
                }
            } else {
                return
            }
        }
    }

    private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c >= 0x80
    }

    private static func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private func text(_ s: Int, _ e: Int) -> String { String(decoding: bytes[s..<e], as: UTF8.self) }

    package mutating func next() -> Token {
        skipTrivia()
        let start = pos
        guard let c = peek() else { return Token(kind: .endOfFile, range: SourceRange(pos, pos), text: "") }

        if let quote = typographicQuote(at: pos) { return typographicString(start, quote: quote) }
        if Self.isIdentStart(c) {
            while let d = peek(), Self.isIdentPart(d), typographicQuote(at: pos) == nil { pos += 1 }
            return Token(kind: .identifier, range: SourceRange(start, pos), text: text(start, pos))
        }
        if Self.isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true) {
            return number(start)
        }
        switch c {
        case UInt8(ascii: "'"): return quoted(start, close: UInt8(ascii: "'"), kind: .string, what: "string literal")
        case UInt8(ascii: "\""): return quoted(start, close: UInt8(ascii: "\""), kind: .quotedIdentifier, what: "quoted identifier")
        case UInt8(ascii: "["): return quoted(start, close: UInt8(ascii: "]"), kind: .bracketedIdentifier, what: "bracketed identifier")
        default: break
        }
        pos += 1
        let two: Punct? = {
            guard let d = peek() else { return nil }
            switch (c, d) {
            case (UInt8(ascii: "<"), UInt8(ascii: ">")): return .notEqual
            case (UInt8(ascii: "<"), UInt8(ascii: "=")): return .lessEqual
            case (UInt8(ascii: ">"), UInt8(ascii: "=")): return .greaterEqual
            case (UInt8(ascii: "!"), UInt8(ascii: "=")): return .bangEqual
            case (UInt8(ascii: "!"), UInt8(ascii: "<")): return .notLess
            case (UInt8(ascii: "!"), UInt8(ascii: ">")): return .notGreater
            default: return nil
            }
        }()
        if let two {
            pos += 1
            return Token(kind: .punct(two), range: SourceRange(start, pos), text: two.rawValue)
        }
        if let p = Punct(rawValue: String(UnicodeScalar(c))) {
            return Token(kind: .punct(p), range: SourceRange(start, pos), text: p.rawValue)
        }
        // Skip the rest of a multi-byte scalar so the invalid token covers the whole character.
        while let d = peek(), d & 0xC0 == 0x80 { pos += 1 }
        let t = text(start, pos)
        diagnostics.append(.error("SAQL1002", "unexpected character '\(t)'", at: SourceRange(start, pos),
                                  helps: [.init("remove it; names with special characters go in brackets: [my-field]")]))
        return Token(kind: .invalid, range: SourceRange(start, pos), text: t)
    }

    private mutating func number(_ start: Int) -> Token {
        var isFloat = false
        while let d = peek(), Self.isDigit(d) { pos += 1 }
        if peek() == UInt8(ascii: "."), peek(1).map(Self.isDigit) == true || !(peek(1).map(Self.isIdentStart) ?? false) {
            isFloat = true
            pos += 1
            while let d = peek(), Self.isDigit(d) { pos += 1 }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var k = 1
            if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { k = 2 }
            if peek(k).map(Self.isDigit) == true {
                isFloat = true
                pos += k
                while let d = peek(), Self.isDigit(d) { pos += 1 }
            }
        }
        return Token(kind: isFloat ? .float : .integer, range: SourceRange(start, pos), text: text(start, pos))
    }

    /// `‘ ’ “ ”` (U+2018, U+2019, U+201C, U+201D), which word processors put in pasted queries:
    /// their byte length when one starts at `i`.
    private func typographicQuote(at i: Int) -> Int? {
        guard i + 2 < bytes.count, bytes[i] == 0xE2, bytes[i + 1] == 0x80, [0x98, 0x99, 0x9C, 0x9D].contains(bytes[i + 2]) else { return nil }
        return 3
    }

    /// A string between typographic quotes: one error with the ASCII-quoted string as the fix, and
    /// a string token, so the query parses on as meant.
    private mutating func typographicString(_ start: Int, quote: Int) -> Token {
        pos += quote
        let bodyStart = pos
        while pos < bytes.count, typographicQuote(at: pos) == nil, bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
        let body = text(bodyStart, pos)
        if typographicQuote(at: pos) != nil { pos += 3 }
        let literal = "'" + body.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        diagnostics.append(.error("SAQL1004", "typographic quotes around \(literal): strings take straight quotes", at: SourceRange(start, pos),
                                  helps: [.init("write \(literal)", replacing: SourceRange(start, pos), with: literal)]))
        return Token(kind: .string, range: SourceRange(start, pos), text: body)
    }

    /// Reads a quoted token; a doubled closing character stands for itself (`'it''s'`, `[a]]b]`).
    private mutating func quoted(_ start: Int, close: UInt8, kind: TokenKind, what: String) -> Token {
        pos += 1
        var value: [UInt8] = []
        while let d = peek() {
            if d == close {
                if peek(1) == close { value.append(d); pos += 2; continue }
                pos += 1
                return Token(kind: kind, range: SourceRange(start, pos), text: String(decoding: value, as: UTF8.self))
            }
            value.append(d)
            pos += 1
        }
        let closeText = String(UnicodeScalar(close))
        diagnostics.append(.error("SAQL1003", "unterminated \(what)", at: SourceRange(start, start + 1),
                                  helps: [.init("add the closing \(closeText)")]))
        return Token(kind: kind, range: SourceRange(start, pos), text: String(decoding: value, as: UTF8.self))
    }
}
