import Foundation

extension PhysicalPlan {
    /// Identifies the plan's semantics in checkpoints: a stable 64-bit FNV-1a hash of a canonical
    /// JSON encoding of its nodes (operators, keys, windows, aggregates, expressions, and what each
    /// input and output is bound to). Source positions, step names and EXPLAIN's wording are not
    /// part of it, so neither a comment added to the job nor a new EXPLAIN format invalidates a
    /// checkpoint; a changed window, key or expression does.
    package var fingerprint: UInt64 { fingerprint(includingOutputs: true) }

    /// The fingerprint without the outputs' bindings: processes of one consumer group may write to
    /// outputs of their own and still share partition state.
    package func fingerprint(includingOutputs: Bool) -> UInt64 {
        var nodes = nodes
        if !includingOutputs {
            for i in nodes.indices {
                if case .sink(let b) = nodes[i].kind { nodes[i].kind = .sink(OutputBinding(name: b.name, endpoint: UnboundEndpoint())) }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every plan type's encoding is synthesized or written out below; none can fail.
        let data = (try? encoder.encode(nodes)) ?? Data()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}

extension InputBinding: Encodable {
    private enum CodingKeys: String, CodingKey { case name, kind, connector, endpoint, refresh }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(endpoint.connector, forKey: .connector)
        try c.encode(endpoint, forKey: .endpoint)
        try c.encodeIfPresent(refresh, forKey: .refresh)
    }
}

extension OutputBinding: Encodable {
    private enum CodingKeys: String, CodingKey { case name, connector, endpoint }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(endpoint.connector, forKey: .connector)
        try c.encode(endpoint, forKey: .endpoint)
    }
}

extension FunctionRef: Encodable {
    private enum CodingKeys: String, CodingKey { case name, datePart }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(definition.identity, forKey: .name)
        try c.encodeIfPresent(datePart, forKey: .datePart)
    }
}

extension AggregateFunction: Encodable {
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(definition.identity)
    }
}
