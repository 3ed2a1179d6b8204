import Planner

/// Aggregates computed from all of a group's values at once: Collect, CollectTop, TopOne and
/// PERCENTILE_CONT/DISC. Their state is the list of values; sliding windows rebuild it from the
/// window (they cannot retract).
struct HolisticAggregate<K: HolisticKind>: StatefulAggregate {
    typealias State = HolisticState<K>
    private var kind: HolisticFunction { K.function }

    var name: String {
        switch kind {
        case .collect: "COLLECT"
        case .topOne: "TOPONE"
        case .collectTop: "COLLECTTOP"
        case .percentileCont: "PERCENTILE_CONT"
        case .percentileDisc: "PERCENTILE_DISC"
        }
    }

    var doc: String {
        switch kind {
        case .collect: "an array of the values, or of the whole events"
        case .topOne: "the first value (or event) by the ORDER BY"
        case .collectTop: "the first n values (or events) by the ORDER BY, each with its rank"
        case .percentileCont: "the interpolated percentile of the ORDER BY expression"
        case .percentileDisc: "the first ORDER BY value whose cumulative distribution reaches the percentile"
        }
    }

    var arguments: AggregateArguments {
        switch kind {
        case .collect, .topOne: .optionalRow
        case .collectTop: .countAndOptionalRow
        case .percentileCont, .percentileDisc: .fraction
        }
    }

    var needsOrder: Bool { kind != .collect }

    func returnType(_ call: AggregateCall) -> DataType {
        switch kind {
        case .collect, .collectTop: .array
        case .topOne: call.argument?.type ?? .anyRecord
        case .percentileCont: .float
        case .percentileDisc: call.orderBy.first?.expr.type ?? .any
        }
    }
}

/// What a holistic aggregate computes from its values.
enum HolisticFunction: Sendable {
    case collect, topOne, collectTop, percentileCont, percentileDisc
}

/// A holistic aggregate's function, as a type (so its state needs no per-group field for it).
protocol HolisticKind: Sendable {
    static var function: HolisticFunction { get }
}

enum CollectKind: HolisticKind { static var function: HolisticFunction { .collect } }
enum TopOneKind: HolisticKind { static var function: HolisticFunction { .topOne } }
enum CollectTopKind: HolisticKind { static var function: HolisticFunction { .collectTop } }
enum PercentileContKind: HolisticKind { static var function: HolisticFunction { .percentileCont } }
enum PercentileDiscKind: HolisticKind { static var function: HolisticFunction { .percentileDisc } }

/// Every value of the group (each as ``AggregateCall/input`` gives it), finished by the function.
struct HolisticState<K: HolisticKind>: AggregateState {
    private let call: AggregateCall
    private var values: [Value] = []
    private var kind: HolisticFunction { K.function }

    init(_ call: AggregateCall) { self.call = call }

    mutating func add(_ value: Value) throws(EvalError) { values.append(value) }
    func save(into w: inout StateWriter) { w.write(values) }
    mutating func restore(from r: inout StateReader) throws(StateError) { values = try r.readValues() }

    func result() -> Value {
        let desc = call.orderBy.map(\.descending)
        switch kind {
        case .collect:
            return .array(values)
        case .topOne:
            var best: OrderedValue?
            for v in values {
                let item = OrderedValue(v)
                if best.map({ item.precedes($0, descending: desc) }) ?? true { best = item }
            }
            return best?.value ?? .null
        case .collectTop:
            let items = values.map(OrderedValue.init).enumerated().sorted { a, b in
                a.element.precedes(b.element, descending: desc) || (!b.element.precedes(a.element, descending: desc) && a.offset < b.offset)
            }.map(\.element)
            let n = Int(call.parameter ?? 1)
            var out: [Value] = []
            var rank = 0
            for (i, item) in items.prefix(n).enumerated() {
                // Ties share a rank (1, 1, 3), as SQL's RANK does.
                if i == 0 || items[i - 1].precedes(item, descending: desc) { rank = i + 1 }
                out.append(.record(Record(names: ["rank", "value"], values: [.bigint(Int64(rank)), item.value])))
            }
            return .array(out)
        case .percentileCont, .percentileDisc:
            var keys: [(Double, Value)] = []
            for v in values {
                let k = OrderedValue(v).keys.first ?? .null
                if let d = try? Conversions.double(k) { keys.append((d, k)) }
            }
            guard !keys.isEmpty else { return .null }
            keys.sort { desc.first == true ? $0.0 > $1.0 : $0.0 < $1.0 }
            let p = call.parameter ?? 0.5
            if kind == .percentileDisc {
                // The first value whose cumulative distribution reaches p.
                let index = max(0, Int((p * Double(keys.count)).rounded(.up)) - 1)
                return keys[min(index, keys.count - 1)].1
            }
            let position = p * Double(keys.count - 1)
            let lo = Int(position.rounded(.down)), hi = Int(position.rounded(.up))
            return .float(keys[lo].0 + (position - Double(lo)) * (keys[hi].0 - keys[lo].0))
        }
    }
}

/// An ordered aggregate's input unpacked: the value, then the ORDER BY keys.
struct OrderedValue {
    var value: Value
    var keys: [Value]

    init(_ v: Value) {
        guard case .record(let r) = v, let first = r.values.first else {
            (value, keys) = (v, [])
            return
        }
        (value, keys) = (first, Array(r.values.dropFirst()))
    }

    /// Orders by the ORDER BY keys; NULL sorts lowest, as ASA documents for CollectTop.
    func precedes(_ b: OrderedValue, descending: [Bool]) -> Bool {
        for (k, desc) in descending.enumerated() {
            let x = k < keys.count ? keys[k] : .null, y = k < b.keys.count ? b.keys[k] : .null
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
}
