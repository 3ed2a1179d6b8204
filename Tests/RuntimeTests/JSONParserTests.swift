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
