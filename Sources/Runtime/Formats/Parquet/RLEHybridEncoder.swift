/// Parquet's RLE / bit-packing hybrid, used for definition levels and dictionary indices.
///
/// Runs of eight or more equal values become RLE runs; everything else is bit-packed in groups of
/// eight (the format's unit), so a group is never split by a run. Only the last group is padded,
/// which readers ignore because they know the value count.
enum RLEHybridEncoder {
    /// The bits needed for values up to `max`.
    static func bitWidth(_ max: UInt32) -> Int { max == 0 ? 0 : 32 - max.leadingZeroBitCount }

    static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        var literal: [UInt32] = []
        var i = 0
        while i < values.count {
            var run = 1
            while i + run < values.count && values[i + run] == values[i] { run += 1 }
            // A run long enough to be worth it once the pending literals fill their last group.
            let fill = (8 - literal.count % 8) % 8
            if run >= 8 + fill {
                literal.append(contentsOf: values[i..<(i + fill)])
                flushLiteral(&literal, bitWidth: bitWidth, into: &out)
                appendRun(values[i], count: run - fill, bitWidth: bitWidth, into: &out)
            } else {
                literal.append(contentsOf: values[i..<(i + run)])
            }
            i += run
        }
        flushLiteral(&literal, bitWidth: bitWidth, into: &out)
    }

    private static func appendRun(_ value: UInt32, count: Int, bitWidth: Int, into out: inout [UInt8]) {
        varint(UInt64(count) << 1, into: &out)
        for b in 0..<((bitWidth + 7) / 8) { out.append(UInt8(truncatingIfNeeded: value >> (8 * b))) }
    }

    private static func flushLiteral(_ literal: inout [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        guard !literal.isEmpty else { return }
        let groups = (literal.count + 7) / 8
        varint(UInt64(groups) << 1 | 1, into: &out)
        var acc: UInt64 = 0, bits = 0
        for g in 0..<(groups * 8) {
            acc |= UInt64(g < literal.count ? literal[g] : 0) << bits
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
        literal.removeAll(keepingCapacity: true)
    }

    static func varint(_ v: UInt64, into out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
