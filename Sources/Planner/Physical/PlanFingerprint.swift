extension PhysicalPlan {
    /// Identifies the plan in checkpoints: a stable 64-bit FNV-1a hash of its EXPLAIN text.
    public var fingerprint: UInt64 { Self.fnv1a(Explain.physical(self)) }

    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
