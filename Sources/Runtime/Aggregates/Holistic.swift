import Planner

/// Aggregates computed from all of a group's values at once: Collect, CollectTop, TopOne,
/// PERCENTILE_CONT/DISC and COUNT(DISTINCT). Window operators gather the values; these functions
/// finish them, so every window kind computes them the same way.
enum Holistic {
    /// An ordered aggregate's input: the value, then the ORDER BY keys (see `orderedInput`).
    struct Item {
        var value: Value
        var keys: [Value]
    }

    /// The bound input of an aggregate: its argument, or for ordered aggregates a record of the
    /// argument followed by the ORDER BY keys (unpacked by `item(from:)`).
    static func orderedInput(_ call: AggregateCall) -> BoundExpr? {
        guard !call.orderBy.isEmpty else { return call.argument }
        let values = [call.argument ?? .literal(.null)] + call.orderBy.map(\.expr)
        return BoundExpr(.makeRecord(names: (0..<values.count).map { "\($0)" }, values: values), .anyRecord)
    }

    static func item(from v: Value) -> Item {
        guard case .record(let r) = v, let first = r.values.first else { return Item(value: v, keys: []) }
        return Item(value: first, keys: Array(r.values.dropFirst()))
    }

    /// Orders items by the ORDER BY keys; NULL sorts lowest, as ASA documents for CollectTop.
    static func precedes(_ a: Item, _ b: Item, descending: [Bool]) -> Bool {
        for (k, desc) in descending.enumerated() {
            let x = k < a.keys.count ? a.keys[k] : .null, y = k < b.keys.count ? b.keys[k] : .null
            let c: Int
            switch (x.isNull, y.isNull) {
            case (true, true): c = 0
            case (true, false): c = -1
            case (false, true): c = 1
            default: c = (try? Comparison.compare(x, y)) ?? 0
            }
            if c != 0 { return desc ? c > 0 : c < 0 }
        }
        return false
    }

    /// The aggregate of `values` (each as produced by `orderedInput`).
    static func result(_ call: AggregateCall, _ values: [Value]) -> Value {
        let desc = call.orderBy.map(\.descending)
        switch call.function {
        case .collect:
            return .array(values)
        case .topOne:
            var best: Item?
            for v in values {
                let item = item(from: v)
                if best.map({ precedes(item, $0, descending: desc) }) ?? true { best = item }
            }
            return best?.value ?? .null
        case .collectTop:
            let items = values.map(item(from:)).enumerated().sorted { a, b in
                precedes(a.element, b.element, descending: desc) || (!precedes(b.element, a.element, descending: desc) && a.offset < b.offset)
            }.map(\.element)
            let n = Int(call.parameter ?? 1)
            var out: [Value] = []
            var rank = 0
            for (i, item) in items.prefix(n).enumerated() {
                // Ties share a rank (1, 1, 3), as SQL's RANK does.
                if i == 0 || precedes(items[i - 1], item, descending: desc) { rank = i + 1 }
                out.append(.record(Record(names: ["rank", "value"], values: [.bigint(Int64(rank)), item.value])))
            }
            return .array(out)
        case .percentileCont, .percentileDisc:
            var keys: [(Double, Value)] = []
            for v in values {
                let k = item(from: v).keys.first ?? .null
                if let d = try? Conversions.double(k) { keys.append((d, k)) }
            }
            guard !keys.isEmpty else { return .null }
            keys.sort { desc.first == true ? $0.0 > $1.0 : $0.0 < $1.0 }
            let p = call.parameter ?? 0.5
            if call.function == .percentileDisc {
                // The first value whose cumulative distribution reaches p.
                let index = max(0, Int((p * Double(keys.count)).rounded(.up)) - 1)
                return keys[min(index, keys.count - 1)].1
            }
            let position = p * Double(keys.count - 1)
            let lo = Int(position.rounded(.down)), hi = Int(position.rounded(.up))
            return .float(keys[lo].0 + (position - Double(lo)) * (keys[hi].0 - keys[lo].0))
        case .count where call.distinct:
            var seen = Set<DistinctValue>()
            for v in values where !v.isNull { seen.insert(DistinctValue(v)) }
            return .bigint(Int64(seen.count))
        default:
            preconditionFailure("\(call.function) is not holistic")
        }
    }

    /// Whether the aggregate is finished from its full value list.
    static func applies(to call: AggregateCall) -> Bool { call.function.isHolistic || (call.function == .count && call.distinct) }
}

/// A value hashed and compared with SQL grouping equality (strings ignore case).
struct DistinctValue: Hashable {
    let value: Value
    init(_ v: Value) { value = v }
    static func == (a: DistinctValue, b: DistinctValue) -> Bool { Comparison.groupEqual(a.value, b.value) }
    func hash(into h: inout Hasher) { h.combine(Comparison.groupHash(value)) }
}

/// Keeps every value of each group; finishes with `Holistic.result`.
final class HolisticColumn: AccumulatorColumn {
    private let call: AggregateCall
    @exclusivity(unchecked) private var lists = StateBuffer<[Value]>()

    init(_ call: AggregateCall) { self.call = call }
    deinit { lists.free(count: capacity) }

    override var countsNulls: Bool { false }
    override func resize(from old: Int, to new: Int) { lists.resize(from: old, to: new, fill: []) }
    override func add(_ slot: Int, _ v: Value) throws(EvalError) { lists[slot].append(v) }
    override func result(_ slot: Int) -> Value { Holistic.result(call, lists[slot]) }
    override func reset() { lists.reset(count: capacity, fill: []) }
    override func save(_ s: Int, into w: inout StateWriter) { w.write(lists[s]) }
    override func restore(_ s: Int, from r: inout StateReader) throws(StateError) { lists[s] = try r.readValues() }
}
