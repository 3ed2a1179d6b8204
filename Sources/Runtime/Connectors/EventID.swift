/// `GetMetadataPropertyValue(input, 'EventId')`: a GUID-shaped identifier derived from where the
/// event was read, so reading the same event again (a restart, a replay) gives the same identifier
/// and a query can drop duplicates with it.
enum EventID {
    /// The identifier of the event at `offset` of `partition` in `source` (a topic, or a file path
    /// with partition 0 and the event's line number, or its byte position in a JSON array).
    static func of(_ source: String, partition: Int64, offset: Int64) -> String {
        var high: UInt64 = 0xcbf2_9ce4_8422_2325, low: UInt64 = 0x8422_2325_cbf2_9ce4
        func mix(_ b: UInt8) {
            high = (high ^ UInt64(b)) &* 0x100_0000_01b3
            low = (low ^ UInt64(b)) &* 0x0000_0100_0000_01b3 &+ 0x9e37_79b9
        }
        for b in source.utf8 { mix(b) }
        for v in [partition, offset] { withUnsafeBytes(of: v.littleEndian) { for b in $0 { mix(b) } } }
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s.suffix(digits)
        }
        // 8-4-4-4-12 hex digits, as a GUID is written.
        return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xffff, 4))-\(hex(high & 0xffff, 4))-\(hex(low >> 48, 4))-\(hex(low & 0xffff_ffff_ffff, 12))"
    }
}
