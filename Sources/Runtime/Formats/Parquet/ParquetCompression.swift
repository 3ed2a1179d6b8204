import CSnappy
import CZstd

/// A Parquet page codec, through Debian's libsnappy and libzstd.
enum ParquetCompression: String, CaseIterable, Sendable {
    case none, snappy, zstd

    /// The codec's id in Parquet's `CompressionCodec`.
    var codec: Int32 {
        switch self {
        case .none: 0
        case .snappy: 1
        case .zstd: 6
        }
    }

    func compress(_ input: [UInt8]) throws -> [UInt8] {
        switch self {
        case .none:
            return input
        case .snappy:
            // Snappy's encoding of nothing is its zero length alone.
            guard !input.isEmpty else { return [0] }
            var length = snappy_max_compressed_length(input.count)
            var out = [UInt8](repeating: 0, count: length)
            let status = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in
                    snappy_compress(i.baseAddress?.assumingMemoryBound(to: CChar.self), i.count,
                                    o.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                }
            }
            guard status == SNAPPY_OK else { throw ConnectorError("snappy could not compress a Parquet page") }
            out.removeSubrange(length...)
            return out
        case .zstd:
            var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let n = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, o.count, i.baseAddress, i.count, 3) }
            }
            guard ZSTD_isError(n) == 0 else {
                throw ConnectorError("zstd could not compress a Parquet page: \(String(cString: ZSTD_getErrorName(n)))")
            }
            out.removeSubrange(n...)
            return out
        }
    }
}
