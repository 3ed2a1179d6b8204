import CPCRE2
import Planner

/// A compiled regular expression as REGEXMATCH reads it: case-insensitive, single-line (`.` matches
/// a newline), ECMAScript-style escapes, on Unicode text. Matching runs with a step limit, so a
/// pattern that backtracks catastrophically (`^(a+)+$`, pasted from the web) ends in a row error
/// instead of holding the job for minutes. PCRE2 (Debian's libpcre2) does the matching: Swift's
/// `Regex` has no limit and would have to be compiled again for every row.
final class RegularExpression: @unchecked Sendable {
    /// Backtracking steps one match may take: a linear scan of a long text needs a few per
    /// character, a catastrophic pattern reaches it in milliseconds.
    static let stepLimit: UInt32 = 1_000_000

    // Both are immutable after init; PCRE2 allows sharing compiled code between threads.
    private let code: OpaquePointer
    private let context: OpaquePointer

    /// Nil when the pattern does not compile (ASA's REGEXMATCH then returns 0).
    init?(_ pattern: String) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_MATCH_INVALID_UTF)
        let compiled = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled, let context = pcre2_match_context_create_8(nil) else { return nil }
        pcre2_set_match_limit_8(context, Self.stepLimit)
        pcre2_set_depth_limit_8(context, Self.stepLimit)
        code = compiled
        self.context = context
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// The 1-based UTF-16 position of the first match, 0 when there is none; throws when the match
    /// takes more than ``stepLimit`` steps.
    func firstMatch(in text: String) throws(EvalError) -> Int64 {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { throw EvalError("REGEXMATCH is out of memory") }
        defer { pcre2_match_data_free_8(data) }
        var text = text
        let (rc, start) = text.withUTF8 { bytes -> (Int32, Int) in
            let rc = pcre2_match_8(code, bytes.baseAddress, bytes.count, 0, 0, data, context)
            return (rc, rc >= 0 ? pcre2_get_ovector_pointer_8(data)[0] : 0)
        }
        if rc == PCRE2_ERROR_NOMATCH { return 0 }
        if rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT {
            throw EvalError("REGEXMATCH gave up after \(Self.stepLimit) backtracking steps: the pattern backtracks catastrophically on this text")
        }
        guard rc >= 0 else { return 0 }
        return Int64(text.utf8.prefix(start).reduce(0) { n, byte in
            // UTF-16 units of the prefix: one per scalar, two for a 4-byte scalar; continuation bytes none.
            byte & 0xC0 == 0x80 ? n : n + (byte >= 0xF0 ? 2 : 1)
        } + 1)
    }
}
