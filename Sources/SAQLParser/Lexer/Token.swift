/// The kinds of lexical tokens of SAQL. Keywords are not token kinds: the parser matches
/// identifiers case-insensitively, since most SAQL keywords are also valid names.
package enum TokenKind: Hashable, Sendable {
    case identifier          // plain name or keyword
    case bracketedIdentifier // [name]
    case quotedIdentifier    // "name" (also used as a string literal in some ASA docs)
    case string              // 'text'
    case integer
    case float
    case punct(Punct)
    case endOfFile
    case invalid
}

/// Punctuation and operator tokens.
package enum Punct: String, Hashable, Sendable {
    case lparen = "(", rparen = ")", comma = ",", dot = ".", semicolon = ";"
    case star = "*", plus = "+", minus = "-", slash = "/", percent = "%"
    case ampersand = "&", pipe = "|", caret = "^", tilde = "~"
    case equal = "=", notEqual = "<>", bangEqual = "!=", less = "<", lessEqual = "<="
    case greater = ">", greaterEqual = ">=", notLess = "!<", notGreater = "!>"
    case lbrace = "{", rbrace = "}", question = "?", colon = ":"
}

/// One token: its kind, its byte range and its decoded text (quotes removed, escapes resolved).
package struct Token: Sendable, Hashable {
    package var kind: TokenKind
    package var range: SourceRange
    package var text: String

    /// True when this is a plain identifier spelled `word`, ignoring case.
    @inlinable
    package func isKeyword(_ word: String) -> Bool {
        kind == .identifier && text.count == word.count && text.uppercased() == word
    }

    package func isPunct(_ p: Punct) -> Bool { kind == .punct(p) }
}
