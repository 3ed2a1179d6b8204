import Planner
import Runtime
import Testing

struct JSONParserTests {
    func decode(_ text: String, fields: [String], record: Bool = false, level: CompatibilityLevel = .v1_2) throws -> [Value] {
        let layout = InputLayout(input: "i", fields: fields, wantsRecord: record, declaredTypes: fields.map { _ in nil })
        var decoder = EventDecoder(layout: layout, format: .json, arrivalField: nil, compatibility: level)
        var batch = EventBatch(width: decoder.width)
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { try decoder.decode(UnsafeBufferPointer($0), into: &batch, defaultArrival: 0) }
        return batch.values
    }

    @Test func readsWantedFieldsIgnoringCase() throws {
        let row = try decode(#"{"deviceid":"d1","skip":{"deep":[1,{"x":"}"}]},"TEMP":-1.5e2,"n":12,"b":true}"#,
                             fields: ["DeviceId", "Temp", "N", "B", "Missing"])
        #expect(row == [.string("d1"), .float(-150), .bigint(12), .bit(true), .null])
    }

    @Test func decodesEscapes() throws {
        let row = try decode(#"{"s":"a\"b\\c\n\u00e9\ud83d\ude00"}"#, fields: ["s"])
        #expect(row == [.string("a\"b\\c\né😀")])
    }

    @Test func keepsTheWholeEventWhenAsked() throws {
        let row = try decode(#"{"a":1,"b":[1,2.5,null],"c":{"d":false}}"#, fields: ["a"], record: true)
        let expected = Record(names: ["a", "b", "c"], values: [.bigint(1), .array([.bigint(1), .float(2.5), .null]),
                                                                .record(Record(names: ["d"], values: [.bit(false)]))])
        #expect(row == [.record(expected), .bigint(1)])
    }

    @Test func booleansAreBigintBeforeLevel12() throws {
        #expect(try decode(#"{"b":true}"#, fields: ["b"], level: .v1_1) == [.bigint(1)])
    }

    @Test func numbersAreExact() throws {
        let row = try decode(#"{"a":0.1,"b":123456789012345678,"c":1e-7,"d":-0,"e":9007199254740993.0}"#, fields: ["a", "b", "c", "d", "e"])
        #expect(row == [.float(0.1), .bigint(123456789012345678), .float(1e-7), .bigint(0), .float(9007199254740993.0)])
    }

    @Test(arguments: [#"{"a":}"#, #"{"a":1"#, #"["a"]"#, #"{"a":01}"#, #"{"a":1} x"#, #"{"a":99999999999999999999}"#, #"{"a":"x"#, ""])
    func rejectsMalformedEvents(_ text: String) {
        #expect(throws: DecodeError.self) { _ = try decode(text, fields: ["a"]) }
    }
}

/// The projected decoder (wanted fields only, keys matched by position hints and exact bytes,
/// strings interned, event times parsed a minute at a time) against the general one (every value
/// decoded into the event's record) on randomized events. One decoder reads all events, so its
/// hints and caches carry from event to event as they do in a run.
struct ProjectedDecodingTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 17
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    static let wanted = ["DeviceId", "Temperature", "Count", "EventTime", "Nested", "Flag", "Ünits"]

    /// A JSON string literal for `s`, with some characters escaped when `escape` is set.
    static func literal(_ s: String, escape: Bool, _ g: inout Generator) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if escape && g.below(4) == 0 { out += String(format: "\\u%04x", scalar.value <= 0xFFFF ? scalar.value : 0x41) } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func number(_ g: inout Generator) -> String {
        g.pick(["0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808", "0.1", "-0.5", "32.16", "1e308", "1.7976931348623157e308",
                "5e-324", "2.2250738585072014e-308", "9007199254740993", "9007199254740993.0", "123456789012345678901234.5", "1E+2", "1e-7",
                "0.30000000000000004", "\(g.below(100_000)).\(g.below(100))", "-\(g.below(1000))", "12345678901234567.89e-3"])
    }

    static func time(_ g: inout Generator) -> String {
        let minute = g.pick(["2024-01-01T00:00", "2024-01-01T00:01", "2024-02-29T23:59", "2023-12-31T23:59"])
        let second = String(format: "%02d", g.below(60))
        switch g.below(8) {
        case 0: return "\(minute):\(second)Z"
        case 1: return "\(minute):\(second).\(g.below(10))Z"
        case 2: return "\(minute):\(second).\(String(format: "%07d", g.below(10_000_000)))Z"
        case 3: return "\(minute):\(second)+01:00"
        case 4: return "\(minute):\(second).123z"
        case 5: return "\(minute)Z"
        case 6: return "not a time"
        default: return "\(minute):\(second).\(String(format: "%03d", g.below(1000)))Z"
        }
    }

    static func value(_ g: inout Generator, depth: Int = 0) -> String {
        switch g.below(depth > 2 ? 5 : 7) {
        case 0: return number(&g)
        case 1: return literal(g.pick(["dev-00042", "pump", "sensor-hub", "é", "日本", "😀 x", "a\"b", "back\\slash", "line\nbreak", ""]), escape: g.below(3) == 0, &g)
        case 2: return g.pick(["true", "false", "null"])
        case 3: return literal(String(repeating: "x", count: g.below(40)), escape: false, &g)
        case 4: return literal(time(&g), escape: false, &g)
        case 5: return "[" + (0..<g.below(3)).map { _ in value(&g, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<g.below(3)).map { i in "\"k\(i)\":" + value(&g, depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }

    /// An event: some wanted fields (in random case and order, sometimes escaped), some others.
    static func event(_ g: inout Generator) -> String {
        var keys = wanted.filter { _ in g.below(5) != 0 }.map { name -> String in
            switch g.below(6) {
            case 0: return name.lowercased()
            case 1: return name.uppercased()
            default: return name
            }
        }
        keys += (0..<g.below(4)).map { _ in g.pick(["extra", "Pressure", "DeviceIdX", "deviceI", "nested2", "ü"]) }
        var seen: [String] = []
        keys = keys.filter { k in
            defer { seen.append(k.lowercased()) }
            return !seen.contains(k.lowercased())
        }
        if g.below(3) == 0 { keys.shuffle(using: &g) }
        let ws = g.below(6) == 0 ? " \t" : ""
        let members = keys.map { k -> String in
            let v = k.lowercased() == "eventtime" ? literal(time(&g), escape: false, &g) : value(&g)
            return ws + literal(k, escape: g.below(8) == 0, &g) + ws + ":" + ws + v + ws
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test func projectedEqualsGeneral() throws {
        var layout = InputLayout(input: "i", fields: Self.wanted, wantsRecord: false, declaredTypes: Self.wanted.map { _ in nil })
        layout.timestampOnly = [3]
        let general = InputLayout(input: "i", fields: [], wantsRecord: true, declaredTypes: [])
        var projected = EventDecoder(layout: layout, format: .json, arrivalField: nil, compatibility: .v1_2)
        var whole = EventDecoder(layout: general, format: .json, arrivalField: nil, compatibility: .v1_2)
        var g = Generator(state: 20261207)
        var compared = 0
        for _ in 0..<20_000 {
            let text = Self.event(&g)
            var bytes = Array(text.utf8)
            var a = EventBatch(width: projected.width), b = EventBatch(width: whole.width)
            try bytes.withUnsafeMutableBufferPointer { buf in
                try projected.decode(UnsafeBufferPointer(buf), into: &a, defaultArrival: 0)
                try whole.decode(UnsafeBufferPointer(buf), into: &b, defaultArrival: 0)
            }
            guard case .record(let record) = b.values[0] else { Issue.record("no record for \(text)"); return }
            let expected = Self.wanted.enumerated().map { i, name -> Value in
                guard let v = record[name] else { return .null }
                if i == 3, case .string(let s) = v, let t = Timestamp(parsing: s) { return .datetime(t) }
                return v
            }
            let got = (0..<Self.wanted.count).map { a.values[layout.column(ofField: $0)] }
            #expect(got == expected, "\(text)")
            if got != expected { return }
            compared += 1
        }
        #expect(compared == 20_000)
    }
}

extension ProjectedDecodingTests.Generator: RandomNumberGenerator {}

/// Group keys hash by their folded text a word at a time: keys equal under grouping (case
/// ignored) must hash alike at every length and across word boundaries, and others should not.
struct GroupHashTests {
    @Test func equalKeysHashAlike() {
        let letters = Array("aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_@[`{~")
        var distinct = Set<UInt64>()
        for n in 0...40 {
            let s = String((0..<n).map { letters[($0 * 7 + n) % letters.count] })
            for variant in [s.lowercased(), s.uppercased(), s] {
                #expect(Comparison.groupEqual(.string(variant), .string(s)))
                #expect(Comparison.groupHash(.string(variant)) == Comparison.groupHash(.string(s)), "\(variant)")
            }
            distinct.insert(Comparison.groupHash(.string(s)))
            // One byte changed anywhere changes the hash (the tail word included).
            for i in 0..<n {
                var chars = Array(s)
                chars[i] = chars[i] == "~" ? "!" : "~"
                #expect(Comparison.groupHash(.string(String(chars))) != Comparison.groupHash(.string(s)), "\(s) at \(i)")
            }
        }
        #expect(distinct.count == 41)
        // @ [ ` { sit next to the letters and are not folded.
        #expect(Comparison.groupHash(.string("@[")) != Comparison.groupHash(.string("`{")))
        // Non-ASCII text hashes its lower-cased form.
        for (a, b) in [("ÉTÉ", "été"), ("Ünits-Ö-Ärger-Größe", "üNITS-ö-äRGER-gRÖSSE".replacingOccurrences(of: "SS", with: "ß")), ("\u{212A}", "k")] {
            if Comparison.groupEqual(.string(a), .string(b)) {
                #expect(Comparison.groupHash(.string(a)) == Comparison.groupHash(.string(b)), "\(a) \(b)")
            }
        }
        #expect(Comparison.groupEqual(.string("ÉTÉ"), .string("été")))
    }
}
