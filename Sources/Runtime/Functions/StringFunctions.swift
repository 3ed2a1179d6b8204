import Foundation
import Planner

/// String functions. Positions are 1-based and count UTF-16 code units, as .NET (and so ASA) does;
/// searches ignore case, like T-SQL's default collation.
enum StringFunctions {
    static let all: [BuiltinFunction] = [
        BuiltinFunction("LEN", .args(.scalar), returns: Returns.fixed(.bigint), doc: "the length in UTF-16 code units, trailing spaces excluded") { v throws(EvalError) in
            var units = Array(try v[0].text().utf16)
            while units.last == 0x20 { units.removeLast() }
            return .bigint(Int64(units.count))
        },
        BuiltinFunction("UPPER", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the text in upper case") { v throws(EvalError) in
            .string(try v[0].text().uppercased())
        },
        BuiltinFunction("LOWER", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the text in lower case") { v throws(EvalError) in
            .string(try v[0].text().lowercased())
        },
        BuiltinFunction("SUBSTRING", .args(.scalar, .number, .number), returns: Returns.fixed(.nvarchar),
                        doc: "`length` code units from the 1-based `start`") { v throws(EvalError) in
            let s = Array(try v[0].text().utf16)
            let start = try v[1].integer(), length = try v[2].integer()
            guard length >= 0 else { throw EvalError("SUBSTRING length cannot be negative") }
            let from = max(start, 1), to = min(Int64(s.count), start.addingSaturating(length).addingSaturating(-1))
            guard from <= to else { return .string("") }
            return .string(utf16String(s[Int(from - 1)..<Int(to)]))
        },
        BuiltinFunction("CHARINDEX", FunctionSignature(arity: 2...3, arguments: [.scalar, .scalar, .number]), returns: Returns.fixed(.bigint),
                        doc: "the 1-based position of the first argument in the second (ignoring case), from an optional start; 0 when absent") { v throws(EvalError) in
            let find = Array(try v[0].text().lowercased().utf16), s = Array(try v[1].text().lowercased().utf16)
            var start = v.count > 2 ? Int(try v[2].integer()) : 1
            if start < 1 { start = 1 }
            guard !find.isEmpty, start <= s.count else { return .bigint(0) }
            var i = start - 1
            while i + find.count <= s.count {
                if Array(s[i..<(i + find.count)]) == find { return .bigint(Int64(i + 1)) }
                i += 1
            }
            return .bigint(0)
        },
        BuiltinFunction("PATINDEX", .args(.scalar, .scalar), returns: Returns.fixed(.bigint),
                        doc: "the 1-based position of the first match of a LIKE pattern; 0 when none") { v throws(EvalError) in
            let pattern = try v[0].text(), s = try v[1].text()
            guard let i = LikePattern(pattern).firstMatch(in: s) else { return .bigint(0) }
            return .bigint(Int64(String(s.prefix(i)).utf16.count + 1))
        },
        BuiltinFunction("REPLACE", .args(.scalar, .scalar, .scalar), returns: Returns.fixed(.nvarchar),
                        doc: "the text with every occurrence of the second argument (ignoring case) replaced by the third") { v throws(EvalError) in
            let s = try v[0].text(), pat = try v[1].text(), rep = try v[2].text()
            guard !pat.isEmpty else { return .string(s) }
            return .string(replaceIgnoringCase(s, pat, rep))
        },
        BuiltinFunction("LTRIM", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the text without leading white space") { v throws(EvalError) in
            .string(String(try v[0].text().drop(while: isSpace)))
        },
        BuiltinFunction("RTRIM", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the text without trailing white space") { v throws(EvalError) in
            .string(dropTrailingSpace(try v[0].text()))
        },
        BuiltinFunction("TRIM", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the text without leading and trailing white space") { v throws(EvalError) in
            .string(dropTrailingSpace(String(try v[0].text().drop(while: isSpace))))
        },
        BuiltinFunction("LEFT", .args(.scalar, .number), returns: Returns.fixed(.nvarchar), doc: "the first n code units") { v throws(EvalError) in
            let s = Array(try v[0].text().utf16), n = try v[1].integer()
            guard n >= 0 else { throw EvalError("LEFT length cannot be negative") }
            return .string(utf16String(s[0..<min(Int(clamping: n), s.count)]))
        },
        BuiltinFunction("RIGHT", .args(.scalar, .number), returns: Returns.fixed(.nvarchar), doc: "the last n code units") { v throws(EvalError) in
            let s = Array(try v[0].text().utf16), n = try v[1].integer()
            guard n >= 0 else { throw EvalError("RIGHT length cannot be negative") }
            return .string(utf16String(s[(s.count - min(Int(clamping: n), s.count))...]))
        },
        BuiltinFunction("REVERSE", .args(.scalar), returns: Returns.fixed(.nvarchar), doc: "the characters in reverse order") { v throws(EvalError) in
            .string(String(try v[0].text().reversed()))
        },
        BuiltinFunction("REPLICATE", .args(.scalar, .number), returns: Returns.fixed(.nvarchar),
                        doc: "the text repeated n times (NULL for negative n)") { v throws(EvalError) in
            let s = try v[0].text(), n = try v[1].integer()
            guard n >= 0 else { return .null }
            if s.isEmpty { return .string("") }
            let (bytes, overflow) = Int64(s.utf8.count).multipliedReportingOverflow(by: n)
            guard !overflow, bytes <= 64 << 20 else { throw EvalError("REPLICATE result is too large") }
            return .string(String(repeating: s, count: Int(n)))
        },
        BuiltinFunction("SPACE", .args(.number), returns: Returns.fixed(.nvarchar), doc: "n spaces (NULL for negative n)") { v throws(EvalError) in
            let n = try v[0].integer()
            guard n >= 0 else { return .null }
            guard n <= 64 << 20 else { throw EvalError("SPACE result is too large") }
            return .string(String(repeating: " ", count: Int(n)))
        },
        BuiltinFunction("STUFF", .args(.scalar, .number, .number, .scalar), returns: Returns.fixed(.nvarchar),
                        doc: "the text with `length` code units from `start` replaced by the fourth argument") { v throws(EvalError) in
            let s = Array(try v[0].text().utf16), ins = try v[3].text()
            var start = try v[1].integer()
            let length = try v[2].integer()
            guard length >= 0 else { throw EvalError("STUFF length cannot be negative") }
            if start < 1 { start = 1 }
            guard start <= s.count else { return .string("") }
            let from = Int(start - 1), to = length >= Int64(s.count - from) ? s.count : from + Int(length)
            return .string(utf16String(s[0..<from]) + ins + utf16String(s[to...]))
        },
        BuiltinFunction("TRANSLATE", .args(.scalar, .scalar, .scalar), returns: Returns.fixed(.nvarchar),
                        doc: "the text with each character of the second argument replaced by the one at its place in the third") { v throws(EvalError) in
            let s = try v[0].text(), from = Array(try v[1].text()), to = Array(try v[2].text())
            guard from.count == to.count else {
                throw EvalError("TRANSLATE needs the second and third arguments to have the same length")
            }
            var map: [Character: Character] = [:]
            for (a, b) in zip(from, to) where map[a] == nil { map[a] = b }
            return .string(String(s.map { map[$0] ?? $0 }))
        },
        BuiltinFunction("NCHAR", .args(.number), returns: Returns.fixed(.nvarchar), doc: "the character of a Unicode code point") { v throws(EvalError) in
            let n = try v[0].integer()
            guard n >= 0, n <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(n)) else { return .null }
            return .string(String(Character(scalar)))
        },
        BuiltinFunction("UNICODE", .args(.scalar), returns: Returns.fixed(.bigint), doc: "the code point of the first character") { v throws(EvalError) in
            guard let first = try v[0].text().unicodeScalars.first else { return .null }
            return .bigint(Int64(first.value))
        },
        BuiltinFunction("REGEXMATCH", .args(.scalar, .scalar), returns: Returns.fixed(.bigint),
                        doc: "the 1-based position of a regular expression's first match (ignoring case); 0 when none or when the pattern is invalid",
                        prepare: { site throws(EvalError) in
                            // A constant pattern compiles once per call site; `nil` marks an invalid one.
                            var constant: RegularExpression??
                            if let p = site.constants[1], !p.isNull { constant = .some(RegularExpression(try p.text())) }
                            return .eager { v throws(EvalError) in
                                let s = try v[0].text()
                                let regex: RegularExpression?
                                if let constant { regex = constant } else { regex = RegularExpression(try v[1].text()) }
                                guard let regex else { return .bigint(0) }
                                return .bigint(try regex.firstMatch(in: s))
                            }
                        }),
    ]

    /// White space as ASA's trim functions define it: Unicode Zs, Zl, Zp, and U+0009–U+000D, U+0085.
    static func isSpace(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { s in
            switch s.value {
            case 0x09...0x0D, 0x85: return true
            default:
                switch s.properties.generalCategory {
                case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
                default: return false
                }
            }
        }
    }

    static func dropTrailingSpace(_ s: String) -> String {
        var end = s.endIndex
        while end > s.startIndex {
            let prev = s.index(before: end)
            guard isSpace(s[prev]) else { break }
            end = prev
        }
        return String(s[..<end])
    }

    static func utf16String<C: Collection>(_ units: C) -> String where C.Element == UInt16 {
        String(decoding: units, as: UTF16.self)
    }

    static func replaceIgnoringCase(_ s: String, _ pat: String, _ rep: String) -> String {
        let chars = Array(s), lower = Array(s.lowercased()), p = Array(pat.lowercased())
        guard lower.count == chars.count else { return s.replacingAll(pat, with: rep) }
        var out = ""
        var i = 0
        while i < chars.count {
            if i + p.count <= chars.count, Array(lower[i..<(i + p.count)]) == p {
                out += rep
                i += p.count
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }
}

extension String {
    /// Plain (case-sensitive) replacement, used when case folding changes the text's length.
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
