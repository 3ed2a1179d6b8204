/// A compiled LIKE pattern: `%` (any run), `_` (one character), `[abc]`, `[a-z]`, `[^abc]`.
/// Matching ignores case, as T-SQL's default collation does.
package struct LikePattern: Sendable {
    enum Element: Sendable {
        case any            // %
        case one            // _
        case char(Character)
        case set([ClosedRange<Character>], negated: Bool)
    }

    let elements: [Element]

    package init(_ pattern: String) {
        var out: [Element] = []
        let chars = Array(pattern.lowercased())
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "%":
                if case .any? = out.last {} else { out.append(.any) }
            case "_":
                out.append(.one)
            case "[":
                if let close = chars[(i + 1)...].firstIndex(of: "]"), close > i + 1 {
                    var body = Array(chars[(i + 1)..<close])
                    var negated = false
                    if body.first == "^" {
                        negated = true
                        body.removeFirst()
                    }
                    var ranges: [ClosedRange<Character>] = []
                    var k = 0
                    while k < body.count {
                        if k + 2 < body.count, body[k + 1] == "-", body[k] <= body[k + 2] {
                            ranges.append(body[k]...body[k + 2])
                            k += 3
                        } else {
                            ranges.append(body[k]...body[k])
                            k += 1
                        }
                    }
                    out.append(.set(ranges, negated: negated))
                    i = close
                } else {
                    out.append(.char(c))
                }
            default:
                out.append(.char(c))
            }
            i += 1
        }
        elements = out
    }

    package func matches(_ s: String) -> Bool { match(Array(s.lowercased()), from: 0) != nil }

    /// The 0-based character index of the first match of the pattern (as PATINDEX treats it), or nil.
    package func firstMatch(in s: String) -> Int? {
        let chars = Array(s.lowercased())
        // PATINDEX patterns are `%body%`: find the earliest start where `body%` matches.
        var body = elements
        let leadingAny: Bool
        if case .any? = body.first {
            body.removeFirst()
            leadingAny = true
        } else {
            leadingAny = false
        }
        let inner = LikePattern(elements: body)
        for start in 0...chars.count {
            if inner.match(chars, from: start) != nil { return start }
            if !leadingAny { break }
        }
        return nil
    }

    private init(elements: [Element]) { self.elements = elements }

    /// Matches `elements` against `chars[from...]` to the end; iterative with backtracking on `%`.
    private func match(_ chars: [Character], from start: Int) -> Int? {
        var s = start, p = 0
        var star = -1, starS = 0
        while s < chars.count {
            if p < elements.count {
                switch elements[p] {
                case .any:
                    star = p
                    starS = s
                    p += 1
                    continue
                case .one:
                    s += 1; p += 1; continue
                case .char(let c) where c == chars[s]:
                    s += 1; p += 1; continue
                case .set(let ranges, let negated) where ranges.contains(where: { $0.contains(chars[s]) }) != negated:
                    s += 1; p += 1; continue
                default:
                    break
                }
            }
            guard star >= 0 else { return nil }
            p = star + 1
            starS += 1
            s = starS
        }
        while p < elements.count, case .any = elements[p] { p += 1 }
        return p == elements.count ? start : nil
    }
}
