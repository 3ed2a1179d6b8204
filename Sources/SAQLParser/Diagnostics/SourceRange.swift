/// A half-open range `[start, end)` of UTF-8 byte offsets into one source text.
///
/// Every syntax node carries one. Nodes synthesized by later stages use ``SourceRange/unknown``.
package struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    package var start: UInt32
    package var end: UInt32

    package init(start: UInt32, end: UInt32) {
        self.start = start
        self.end = max(start, end)
    }

    package init(_ start: Int, _ end: Int) {
        self.init(start: UInt32(clamping: start), end: UInt32(clamping: end))
    }

    /// The range of a node that has no place in the source text.
    package static let unknown = SourceRange(start: .max, end: .max)

    package var isUnknown: Bool { start == .max }
    package var length: Int { isUnknown ? 0 : Int(end - start) }

    /// The smallest range covering both ranges; an unknown side is ignored.
    package func union(_ other: SourceRange) -> SourceRange {
        if isUnknown { return other }
        if other.isUnknown { return self }
        return SourceRange(start: min(start, other.start), end: max(end, other.end))
    }

    package var description: String { isUnknown ? "<unknown>" : "\(start)..<\(end)" }
}

/// A line and column, both 1-based; the column counts UTF-8 bytes, as compilers print it.
package struct SourceLocation: Hashable, Sendable {
    package var line: Int
    package var column: Int
    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// One named source text and a line table, turning byte offsets into line and column on demand.
package struct SourceFile: Sendable {
    package let name: String
    package let text: String
    private let utf8: [UInt8]
    private let lineStarts: [Int]

    package init(name: String, text: String) {
        self.name = name
        self.text = text
        self.utf8 = Array(text.utf8)
        var starts = [0]
        for (i, b) in utf8.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// The location of a byte offset; offsets past the end map to the end.
    package func location(of offset: UInt32) -> SourceLocation {
        let off = min(Int(offset), utf8.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        return SourceLocation(line: lo + 1, column: off - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line, without its line terminator.
    package func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : utf8.count
        if end > start, utf8[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: utf8[start..<max(start, end)], as: UTF8.self)
    }

    /// The source text covered by a range.
    package func text(of range: SourceRange) -> String {
        guard !range.isUnknown else { return "" }
        let s = min(Int(range.start), utf8.count), e = min(Int(range.end), utf8.count)
        return String(decoding: utf8[s..<e], as: UTF8.self)
    }
}
