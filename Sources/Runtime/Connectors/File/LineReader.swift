#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file as lines of bytes in large chunks, without holding the whole file in memory.
///
/// A UTF-8 byte order mark at the start of the file is skipped (RFC 8259 lets a parser ignore
/// it; it is not part of the first event). With `quotedNewlines` (CSV, RFC 4180) a line break
/// inside a double-quoted field belongs to the record, and a "line" is the whole record.
final class LineReader {
    /// CSV: newlines inside quotes do not end a record.
    var quotedNewlines = false
    /// Whether the bytes from `start` to `scanFrom` leave a quoted field open.
    @exclusivity(unchecked) private var inQuotes = false
    private let fd: Int32
    /// The read buffer, managed by hand: a Swift array held by a class is retained and released
    /// around every access that borrows its storage, twice per line.
    @exclusivity(unchecked) private var buffer: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var eof = false
    let path: String
    /// 1-based number of the line last returned.
    @exclusivity(unchecked) private(set) var lineNumber = 0
    /// 1-based number of the line where the record last returned starts (a CSV record with quoted
    /// newlines spans several lines; otherwise the same as `lineNumber`).
    @exclusivity(unchecked) private(set) var recordLine = 0
    /// Bytes read from the file into the buffer so far.
    @exclusivity(unchecked) private var bytesRead: Int64 = 0

    /// The file offset of the first byte not yet returned.
    var offset: Int64 { bytesRead - Int64(end - start) }

    /// Continues at `offset`, which starts line `lineNumber + 1` (from a checkpoint).
    func seek(to offset: Int64, lineNumber: Int) throws {
        var info = stat()
        guard fstat(fd, &info) == 0, Int64(info.st_size) >= offset else {
            throw ConnectorError("'\(path)' is shorter than the checkpoint's position \(offset): the input changed since the checkpoint")
        }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw ConnectorError("cannot seek in '\(path)': \(String(cString: strerror(errno)))")
        }
        start = 0
        end = 0
        scanFrom = 0
        inQuotes = false
        eof = false
        bytesRead = offset
        self.lineNumber = lineNumber
        if offset == 0 { try skipByteOrderMark() }
    }

    /// Skips EF BB BF at the start of the file.
    private func skipByteOrderMark() throws {
        while end - start < 3 && !eof { try fill() }
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
            scanFrom = max(scanFrom, start)
        }
    }

    init(path: String, chunk: Int = 4 << 20) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ConnectorError("cannot open '\(path)': \(String(cString: strerror(errno)))") }
        self.path = path
        capacity = max(chunk, 16)
        buffer = .allocate(capacity: capacity)
        do { try skipByteOrderMark() } catch {
            buffer.deallocate()
            close(fd)
            throw error
        }
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    /// When the file was last modified, in 100-ns ticks since 1970 (as ``Timestamp``); nil if unknown.
    var lastModified: Int64? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 10_000_000 + Int64(info.st_mtim.tv_nsec) / 100
    }

    /// Calls `body` with the next line (without its `\n` or `\r\n`); returns false at end of file.
    func nextLine(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        while true {
            if let nl = quotedNewlines ? findRecordEnd() : findNewline() {
                lineNumber += 1
                recordLine = lineNumber
                var lineEnd = nl
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let s = start
                if quotedNewlines { lineNumber += UnsafeBufferPointer(start: buffer + s, count: nl - s).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
                start = nl + 1
                inQuotes = false
                try body(UnsafeBufferPointer(start: buffer + s, count: lineEnd - s))
                return true
            }
            if eof {
                guard start < end else { return false }
                lineNumber += 1
                recordLine = lineNumber
                let s = start, e = end
                start = end
                try body(UnsafeBufferPointer(start: buffer + s, count: e - s))
                return true
            }
            try fill()
        }
    }

    @exclusivity(unchecked) private var scanFrom = 0

    private func findNewline() -> Int? {
        var i = max(start, scanFrom)
        // memchr is far faster than a Swift loop on long buffers.
        var result: Int?
        if i < end, let p = memchr(buffer + i, 0x0A, end - i) { result = buffer.distance(to: p.assumingMemoryBound(to: UInt8.self)) }
        if result == nil { i = end }
        scanFrom = result.map { $0 + 1 } ?? i
        return result
    }

    /// The newline that ends the record from `start`: the first outside double quotes (a doubled
    /// quote inside a field toggles twice, so it changes nothing).
    private func findRecordEnd() -> Int? {
        var i = max(start, scanFrom)
        var quoted = inQuotes
        var result: Int?
        while i < end {
            let c = buffer[i]
            if c == 0x22 { quoted.toggle() } else if c == 0x0A && !quoted {
                result = i
                break
            }
            i += 1
        }
        inQuotes = quoted
        scanFrom = result.map { $0 + 1 } ?? i
        return result
    }

    /// Moves the unread tail to the front and reads more; grows the buffer for very long lines.
    private func fill() throws {
        if start > 0 {
            let n = end - start
            if n > 0 { memmove(buffer, buffer + start, n) }
            scanFrom -= start
            start = 0
            end = n
        }
        if end == capacity {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity *= 2
        }
        let n = read(fd, buffer + end, capacity - end)
        if n < 0 {
            if errno == EINTR { return }
            throw ConnectorError("cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true } else {
            end += n
            bytesRead += Int64(n)
        }
    }

    /// The whole rest of the file (used for JSON array files).
    func readAll() throws -> [UInt8] {
        while !eof { try fill() }
        let rest = Array(UnsafeBufferPointer(start: buffer + start, count: end - start))
        start = end
        return rest
    }

    /// The first byte that is not white space, without consuming anything.
    func firstSignificantByte() throws -> UInt8? {
        while true {
            var i = start
            while i < end, buffer[i] == 0x20 || buffer[i] == 0x0A || buffer[i] == 0x0D || buffer[i] == 0x09 { i += 1 }
            if i < end { return buffer[i] }
            if eof { return nil }
            try fill()
        }
    }
}
