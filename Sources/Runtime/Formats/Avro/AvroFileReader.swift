import CSnappy
import CZlib
import Planner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an Avro Object Container File record by record: the header's schema and codec, then
/// blocks, each decompressed whole (`null`, `deflate`, `snappy`) and checked against the sync
/// marker. Only one block is in memory at a time.
///
/// A block that cannot be read (a wrong sync marker, bad compression, a record that does not
/// decode) is skipped: its records are reported through ``onCorruptBlock`` and reading goes on
/// at the next sync marker, which Avro places after every block for exactly that.
final class AvroFileReader {
    let path: String
    let schema: AvroSchema
    let codec: String
    private let fd: Int32
    private let sync: [UInt8]
    private let fileSize: Int64
    /// Where the first block starts.
    private let firstBlock: Int64
    /// The block being read: where it starts, its records and where the next one starts.
    private(set) var blockOffset: Int64
    private var nextBlockOffset: Int64
    /// The current block's decoded bytes are `block[..<blockLength]`; `block` and `raw` (the
    /// block as stored) keep their capacity from block to block, so reading allocates nothing
    /// once the largest block has been seen.
    private var block: [UInt8] = []
    private var blockLength = 0
    private var raw: [UInt8] = []
    private var blockRecords = 0
    /// Records of the current block already returned, and where the next one starts in `block`.
    private(set) var recordInBlock = 0
    private var cursor = 0
    /// Called with the reason and the number of records lost when a block is skipped.
    var onCorruptBlock: ((String, Int) -> Void)?

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ConnectorError("cannot open '\(path)': \(String(cString: strerror(errno)))") }
        var info = stat()
        fileSize = fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
        do {
            let (schema, codec, sync, end) = try Self.readHeader(fd: fd, path: path, fileSize: fileSize)
            (self.schema, self.codec, self.sync, firstBlock) = (schema, codec, sync, end)
        } catch {
            close(fd)
            throw error
        }
        blockOffset = firstBlock
        nextBlockOffset = firstBlock
    }

    deinit { close(fd) }

    /// When the file was last modified, in ticks since 1970; nil if unknown (asked once).
    private(set) lazy var lastModified: Int64? = {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 10_000_000 + Int64(info.st_mtim.tv_nsec) / 100
    }()

    /// Reads `count` bytes at `offset` into the start of `buffer` (which holds at least that many);
    /// returns how many were read.
    private static func pread(_ fd: Int32, at offset: Int64, into buffer: inout [UInt8], count: Int) -> Int {
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress.map { $0 + got }, count - got, off_t(offset) + off_t(got)) }
            if n <= 0 { break }
            got += n
        }
        return got
    }

    private static func pread(_ fd: Int32, at offset: Int64, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress.map { $0 + got }, count - got, off_t(offset) + off_t(got)) }
            if n <= 0 { break }
            got += n
        }
        out.removeSubrange(got...)
        return out
    }

    /// The magic, the metadata map and the sync marker. The header is read in growing chunks
    /// until it decodes, so a schema of any size is read.
    private static func readHeader(fd: Int32, path: String, fileSize: Int64) throws -> (AvroSchema, String, [UInt8], Int64) {
        var want = 16 << 10
        while true {
            let bytes = pread(fd, at: 0, count: want)
            guard bytes.count >= 4, bytes[0..<4].elementsEqual([0x4F, 0x62, 0x6A, 0x01]) else {
                throw ConnectorError("'\(path)' is not an Avro Object Container File (it does not start with 'Obj' 1)")
            }
            let parsed: Result<([String: [UInt8]], Int), DecodeError> = bytes.withUnsafeBufferPointer { all in
                var d = AvroDecoder(all, at: 4)
                do throws(DecodeError) {
                    var meta: [String: [UInt8]] = [:]
                    while true {
                        var n = try d.readLong()
                        if n == 0 { break }
                        if n < 0 { n = -n; _ = try d.readLong() }
                        for _ in 0..<n {
                            let key = try d.readString()
                            meta[key] = Array(try d.readBytes())
                        }
                    }
                    guard all.count - d.pos >= 16 else { throw DecodeError(message: "the header ends before its sync marker", offset: d.pos) }
                    return .success((meta, d.pos))
                } catch { return .failure(error) }
            }
            switch parsed {
            case .success(let (meta, at)):
                guard let schemaText = meta["avro.schema"] else { throw ConnectorError("'\(path)': the Avro header has no avro.schema") }
                let schema: AvroSchema
                do throws(DecodeError) { schema = try AvroSchema.parse(json: schemaText) } catch {
                    throw ConnectorError("'\(path)': the Avro header's schema is not valid: \(error.message)")
                }
                let codec = meta["avro.codec"].map { String(decoding: $0, as: UTF8.self) } ?? "null"
                guard ["null", "deflate", "snappy"].contains(codec) else {
                    throw ConnectorError("'\(path)': the Avro codec '\(codec)' is not supported (saql reads null, deflate and snappy)")
                }
                return (schema, codec, Array(bytes[at..<at + 16]), Int64(at + 16))
            case .failure(let error):
                guard Int64(want) < fileSize, want < 64 << 20 else {
                    throw ConnectorError("'\(path)': the Avro header cannot be read: \(error.message)")
                }
                want *= 4
            }
        }
    }

    /// The position of the next record: its block's offset and its index in the block.
    var position: (block: Int64, record: Int) {
        recordInBlock < blockRecords ? (blockOffset, recordInBlock) : (nextBlockOffset, 0)
    }

    /// Continues at a position from ``position``; throws when the file no longer has it.
    func seek(block offset: Int64, record: Int) throws {
        guard offset >= firstBlock, offset <= fileSize else {
            throw ConnectorError("'\(path)' is shorter than the checkpoint's position \(offset): the input changed since the checkpoint")
        }
        nextBlockOffset = offset
        blockRecords = 0
        recordInBlock = 0
        guard record > 0 else { return }
        guard try loadBlock(), blockOffset == offset, record <= blockRecords else {
            throw ConnectorError("'\(path)': the block at \(offset) no longer holds the checkpoint's record \(record): the input changed")
        }
        for _ in 0..<record { guard try next() != nil else { break } }
    }

    /// The next record as a value, or nil at the end of the file.
    func next() throws -> Value? {
        let schema = schema
        return try next { (d: inout AvroDecoder) throws(DecodeError) in try d.read(schema) }
    }

    /// The next record, read by `decode` from a decoder placed at its start; nil at the end of the file.
    func next<T>(_ decode: (inout AvroDecoder) throws(DecodeError) -> T) throws -> T? {
        while true {
            while recordInBlock >= blockRecords {
                guard try loadBlock() else { return nil }
            }
            let length = blockLength
            let result: Result<(T, Int), DecodeError> = block.withUnsafeBufferPointer { whole in
                var d = AvroDecoder(UnsafeBufferPointer(rebasing: whole[..<length]), at: cursor)
                do throws(DecodeError) { return .success((try decode(&d), d.pos)) } catch { return .failure(error) }
            }
            switch result {
            case .success(let (value, end)):
                cursor = end
                recordInBlock += 1
                return value
            case .failure(let error):
                // The rest of the block cannot be found without this record's end.
                onCorruptBlock?("record \(recordInBlock + 1) of the Avro block at byte \(blockOffset) does not decode: \(error.message)",
                                blockRecords - recordInBlock)
                recordInBlock = blockRecords
            }
        }
    }

    /// Reads the block at `nextBlockOffset`; false at the end of the file. A block that cannot be
    /// read is reported and reading resumes after the next sync marker.
    private func loadBlock() throws -> Bool {
        while nextBlockOffset < fileSize {
            blockOffset = nextBlockOffset
            let head = Self.pread(fd, at: blockOffset, count: 20)
            var count: Int64 = 0, size: Int64 = 0, headLength = 0
            let headOK: Bool = head.withUnsafeBufferPointer { all in
                var d = AvroDecoder(all)
                guard let c = try? d.readLong(), let s = try? d.readLong() else { return false }
                (count, size, headLength) = (c, s, d.pos)
                return true
            }
            guard headOK, count > 0, size >= 0, blockOffset + Int64(headLength) + size + 16 <= fileSize else {
                corrupt(headOK && count > 0 ? "the Avro block at byte \(blockOffset) runs past the end of the file" : "the Avro block at byte \(blockOffset) has no valid header",
                        lost: headOK && count > 0 ? Int(min(count, 1 << 30)) : 1)
                continue
            }
            let stored = Int(size)
            if raw.count < stored + 16 { raw += [UInt8](repeating: 0, count: stored + 16 - raw.count) }
            let got = Self.pread(fd, at: blockOffset + Int64(headLength), into: &raw, count: stored + 16)
            guard got == stored + 16, raw[stored..<stored + 16].elementsEqual(sync) else {
                corrupt("the Avro block at byte \(blockOffset) does not end with the file's sync marker", lost: Int(min(count, 1 << 30)))
                continue
            }
            do {
                try decompress(stored)
            } catch {
                nextBlockOffset = blockOffset + Int64(headLength) + size + 16
                onCorruptBlock?("the Avro block at byte \(blockOffset) cannot be decompressed: \(error)", Int(min(count, 1 << 30)))
                continue
            }
            nextBlockOffset = blockOffset + Int64(headLength) + size + 16
            // Each record takes at least a byte unless its schema can be empty: a count beyond
            // that is corrupt (it would make events out of nothing).
            guard count <= Int64(blockLength) || (schema.canBeEmpty && count <= 1 << 20) else {
                onCorruptBlock?("the Avro block at byte \(blockOffset) claims \(count) records in \(blockLength) bytes", 1)
                continue
            }
            blockRecords = Int(min(count, 1 << 30))
            recordInBlock = 0
            cursor = 0
            return true
        }
        blockRecords = 0
        recordInBlock = 0
        return false
    }

    /// Reports the block at `blockOffset` and moves to just after the next sync marker (or the end).
    private func corrupt(_ reason: String, lost: Int) {
        onCorruptBlock?(reason, lost)
        var from = blockOffset + 1
        nextBlockOffset = fileSize
        while from < fileSize {
            let chunk = Self.pread(fd, at: from, count: 1 << 20)
            guard chunk.count >= 16 else { break }
            if let hit = chunk.indices.dropLast(15).first(where: { i in chunk[i] == sync[0] && chunk[i..<i + 16].elementsEqual(sync) }) {
                nextBlockOffset = from + Int64(hit) + 16
                return
            }
            from += Int64(chunk.count - 15)
        }
    }

    /// Makes `block[..<blockLength]` the decoded form of `raw[..<stored]`.
    private func decompress(_ stored: Int) throws {
        switch codec {
        case "deflate": try inflateRaw(stored)
        case "snappy":
            guard stored >= 4 else { throw ConnectorError("a snappy block is shorter than its checksum") }
            let payload = stored - 4
            var length = 0
            let known = raw.withUnsafeBufferPointer { p in
                snappy_uncompressed_length(UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), payload, &length) == SNAPPY_OK
            }
            guard known, length <= 1 << 30 else { throw ConnectorError("snappy data does not decompress") }
            if block.count < length { block += [UInt8](repeating: 0, count: length - block.count) }
            let status = raw.withUnsafeBufferPointer { p in
                block.withUnsafeMutableBytes { o in
                    snappy_uncompress(UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), payload,
                                      o.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                }
            }
            guard status == SNAPPY_OK else { throw ConnectorError("snappy data does not decompress") }
            blockLength = length
            let crc = block.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32(length))) }
            let expected = raw[payload..<stored].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard crc == expected else { throw ConnectorError("the snappy block's CRC-32 does not match its data") }
        default:
            // The stored bytes are the block: swap the buffers rather than copy.
            swap(&raw, &block)
            blockLength = stored
        }
    }

    /// Raw deflate (RFC 1951), as Avro's deflate codec writes it, growing `block` as it fills.
    private func inflateRaw(_ stored: Int) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ConnectorError("zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        if block.count < max(64 << 10, stored * 4) { block += [UInt8](repeating: 0, count: max(64 << 10, stored * 4) - block.count) }
        var status = Z_OK
        var produced = 0
        try raw.withUnsafeMutableBufferPointer { i in
            stream.next_in = i.baseAddress
            stream.avail_in = UInt32(stored)
            while true {
                block.withUnsafeMutableBufferPointer { o in
                    stream.next_out = o.baseAddress.map { $0 + produced }
                    stream.avail_out = UInt32(o.count - produced)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced = o.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ConnectorError("deflate data does not inflate (zlib \(status))")
                }
                // Inflate stops with room left only at the end of the stream or of the input.
                if status == Z_STREAM_END || produced < block.count { break }
                guard block.count < 1 << 30 else { throw ConnectorError("a deflate block inflates past 1 GB") }
                block += [UInt8](repeating: 0, count: block.count)
            }
        }
        guard status == Z_STREAM_END else { throw ConnectorError("deflate data ends early") }
        blockLength = produced
    }
}
