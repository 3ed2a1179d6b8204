import SAQLParser

/// A bound `MATCH_RECOGNIZE`: per partition, events in time order are matched against a row
/// pattern, and each match gives one row of measures (timestamped at its last event).
package struct MatchRecognize: Hashable, Sendable, Encodable {
    package var partitionBy: [BoundExpr]
    /// `LIMIT DURATION`: a match's events lie within this time of its first; `nil` is unlimited.
    package var duration: TimeSpan?
    /// The pattern variables, by index.
    package var variables: [String]
    /// Each variable's DEFINE condition over the event's row (`nil`: any event qualifies, or the
    /// condition is in `matchConditions`).
    package var definitions: [BoundExpr?]
    /// DEFINE conditions that read other variables' events: evaluated for each partial match.
    package var matchConditions: [MatchCondition?]
    package var pattern: RowPatternProgram
    /// What each measure reads from the match, in slot order.
    package var slots: [MatchSlot]
    /// The measures, computed over the row of slot values; they are the output columns.
    package var measures: [MatchMeasure]
    /// The pattern as written (for EXPLAIN).
    package var patternText: String

    package init(partitionBy: [BoundExpr], duration: TimeSpan?, variables: [String], definitions: [BoundExpr?],
                matchConditions: [MatchCondition?], pattern: RowPatternProgram, slots: [MatchSlot],
                measures: [MatchMeasure], patternText: String) {
        self.partitionBy = partitionBy
        self.duration = duration
        self.variables = variables
        self.definitions = definitions
        self.matchConditions = matchConditions
        self.pattern = pattern
        self.slots = slots
        self.measures = measures
        self.patternText = patternText
    }
}

/// One output column of a match: its name and its expression over the row of slot values.
package struct MatchMeasure: Hashable, Sendable, Encodable {
    package var name: String
    package var expr: BoundExpr

    package init(name: String, expr: BoundExpr) {
        self.name = name
        self.expr = expr
    }
}

/// A DEFINE condition over a row of slot values: the candidate event's own columns (`current`
/// slots) and what the partial match bound so far (other variables' events).
package struct MatchCondition: Hashable, Sendable, Encodable {
    package var slots: [MatchSlot]
    package var condition: BoundExpr

    package init(slots: [MatchSlot], condition: BoundExpr) {
        self.slots = slots
        self.condition = condition
    }
}

/// One value a measure reads from a match: the first or last event of a variable (or of the whole
/// match), or an aggregate over those events.
package struct MatchSlot: Hashable, Sendable, Encodable {
    package enum Pick: Hashable, Sendable, Encodable {
        case first, last
        case aggregate(AggregateCall)
        /// The event being matched (DEFINE conditions only).
        case current
        /// `CLASSIFIER()`: the name of the variable the match's last event was mapped to.
        case classifier
    }
    package var pick: Pick
    /// The variable whose events are read; `nil` reads every event of the match.
    package var variable: Int?
    /// For `first`/`last`: the value read from the event (over the event's row).
    package var value: BoundExpr?
    package var type: DataType

    package init(pick: Pick, variable: Int?, value: BoundExpr?, type: DataType) {
        self.pick = pick
        self.variable = variable
        self.value = value
        self.type = type
    }
}

/// A row pattern compiled to a Thompson NFA whose transitions consume one event each. Split
/// instructions list the preferred branch first (quantifiers are greedy).
package struct RowPatternProgram: Hashable, Sendable, Encodable {
    package enum Instruction: Hashable, Sendable, Encodable {
        /// Consumes an event that satisfies the variable's condition (`nil`: any event), then goes on.
        case consume(variable: Int?, next: Int)
        case split(Int, Int)
        case jump(Int)
        case accept
    }
    package var instructions: [Instruction]
    package var start: Int

    /// Compiles `pattern`; its names are indexes into `variables` (case-insensitive).
    package static func compile(_ pattern: RowPattern, variables: [String]) -> RowPatternProgram {
        var b = Builder(variables: variables)
        let (start, ends) = b.fragment(pattern)
        let accept = b.emit(Instruction.accept)
        b.patch(ends, to: accept)
        return RowPatternProgram(instructions: b.code, start: start)
    }

    /// Builds fragments: each has an entry instruction and the list of dangling exits to patch.
    private struct Builder {
        let variables: [String]
        var code: [Instruction] = []

        func variable(_ name: Name) -> Int? { variables.firstIndex { $0.caseInsensitiveEquals(name.text) } }

        enum Exit { case consume(Int), splitFirst(Int), splitSecond(Int), jump(Int) }

        mutating func emit(_ i: Instruction) -> Int {
            code.append(i)
            return code.count - 1
        }

        mutating func patch(_ exits: [Exit], to target: Int) {
            for e in exits {
                switch e {
                case .consume(let at):
                    if case .consume(let v, _) = code[at] { code[at] = .consume(variable: v, next: target) }
                case .splitFirst(let at):
                    if case .split(_, let b) = code[at] { code[at] = .split(target, b) }
                case .splitSecond(let at):
                    if case .split(let a, _) = code[at] { code[at] = .split(a, target) }
                case .jump(let at): code[at] = .jump(target)
                }
            }
        }

        mutating func fragment(_ p: RowPattern) -> (start: Int, exits: [Exit]) {
            switch p {
            case .variable(let name):
                let at = emit(.consume(variable: variable(name), next: -1))
                return (at, [.consume(at)])
            case .any:
                let at = emit(.consume(variable: nil, next: -1))
                return (at, [.consume(at)])
            case .sequence(let items):
                guard let first = items.first else {
                    let at = emit(.jump(-1))
                    return (at, [.jump(at)])
                }
                var (start, exits) = fragment(first)
                for item in items.dropFirst() {
                    let next = fragment(item)
                    patch(exits, to: next.start)
                    exits = next.exits
                }
                return (start, exits)
            case .alternation(let options):
                // split(a, split(b, c)): earlier alternatives are preferred.
                var exits: [Exit] = []
                var pending: Int?
                var start = -1
                for (i, option) in options.enumerated() {
                    let isLast = i == options.count - 1
                    let split = isLast ? nil : emit(.split(-1, -1))
                    let f = fragment(option)
                    if let split { code[split] = .split(f.start, -1) }
                    let entry = split ?? f.start
                    if let p = pending { patch([.splitSecond(p)], to: entry) } else { start = entry }
                    pending = split
                    exits += f.exits
                }
                return (start, exits)
            case .quantified(let inner, let min, let max, _):
                // p{n,m} = n copies of p, then (m - n) optional copies (nested), or p* when unbounded.
                var start: Int?
                var exits: [Exit] = []
                func append(_ f: (start: Int, exits: [Exit])) {
                    if start == nil { start = f.start } else { patch(exits, to: f.start) }
                    exits = f.exits
                }
                for _ in 0..<min { append(fragment(inner)) }
                // {n,m} with m < n was reported by the parser; it compiles as {n}.
                if let max = max.map({ Swift.max($0, min) }) {
                    var optionalExits: [Exit] = []
                    for _ in min..<max {
                        let split = emit(.split(-1, -1))
                        let f = fragment(inner)
                        code[split] = .split(f.start, -1)
                        append((split, f.exits))
                        optionalExits.append(.splitSecond(split))
                    }
                    exits += optionalExits
                } else {
                    let split = emit(.split(-1, -1))
                    let f = fragment(inner)
                    code[split] = .split(f.start, -1)
                    patch(f.exits, to: split)
                    append((split, [.splitSecond(split)]))
                }
                guard let s = start else {
                    let at = emit(.jump(-1))
                    return (at, [.jump(at)])
                }
                return (s, exits)
            }
        }
    }
}
