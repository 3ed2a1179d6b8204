import Planner
#if canImport(Glibc)
import Glibc
#endif

/// Reads one JSON object into a row: the fields the job references go to their columns by name
/// (ignoring case); other fields are skipped without being decoded, unless the whole event is wanted
/// as a record. Works on raw bytes; creates Strings only for the values it keeps.
package struct JSONEventParser {
    /// The wanted field names, in column order.
    let fields: FieldNames
    /// The column of field `i` in the row.
    let fieldColumn: [Int]
    /// Whether field `i` is read only as the event time (so it may be stored as a datetime).
    let asTimestamp: [Bool]
    let wantsRecord: Bool
    /// Lower-cased name of the field holding the arrival time, if any.
    let arrivalField: [UInt8]?
    /// Compatibility level 1.2 reads JSON booleans as bit; earlier levels as bigint 0/1.
    let booleansAsBit: Bool
    /// For each key position in the previous event, the field it matched: a hint for the next event.
    var hints: [Int] = []
    let strings = StringCache()
    /// The whole event's fields, when it is wanted as a record (kept here so that an event not
    /// wanted whole creates and releases no arrays).
    var recordNames: [String] = []
    var recordValues: [Value] = []
    let unwanted = UnwantedKeys()
    var times = TimestampParser()

    package init(layout: InputLayout, arrivalField: String?, compatibility: CompatibilityLevel) {
        fields = FieldNames(layout.fields)
        fieldColumn = layout.fields.indices.map { layout.column(ofField: $0) }
        asTimestamp = layout.fields.indices.map { layout.timestampOnly.contains($0) }
        wantsRecord = layout.wantsRecord
        self.arrivalField = arrivalField.map { Array($0.lowercased().utf8) }
        booleansAsBit = compatibility >= .v1_2
    }

    /// Parses the object in `bytes` into `row` (which holds NULLs on entry). Returns the arrival time
    /// found in the arrival field, if any.
    package mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, into row: UnsafeMutablePointer<Value>) throws(DecodeError) -> Int64? {
        var c = JSONCursor(bytes: bytes, booleansAsBit: booleansAsBit, strings: strings)
        c.skipWhitespace()
        guard c.peek() == UInt8(ascii: "{") else { throw c.error("expected a JSON object") }
        c.pos += 1
        var arrival: Int64?
        var position = 0
        /// Fields (below 64) whose column holds a value from this event.
        var stored: UInt64 = 0
        /// Whether a field's first value may be moved into its column: its column then holds a
        /// NULL, which owns nothing, so it is initialized over, not assigned.
        let moveFirst = !wantsRecord && arrivalField == nil
        if wantsRecord {
            recordNames.removeAll(keepingCapacity: true)
            recordValues.removeAll(keepingCapacity: true)
        }
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            while true {
                c.skipWhitespace()
                let key: JSONCursor.Key, field: Int
                // Events of one source usually repeat their keys in order: the field seen at this
                // position last time is tried first, as exact bytes.
                if position < hints.count, case let h = hints[position], h >= 0, c.peek() == 0x22,
                   let n = fields.exactKey(h, at: c.pos + 1, bytes) {
                    key = JSONCursor.Key(start: c.pos + 1, end: c.pos + 1 + n, escaped: false)
                    c.pos += n + 2
                    field = h
                } else if position < hints.count, hints[position] < 0, c.peek() == 0x22, let n = unwanted.exactKey(position, at: c.pos + 1, bytes) {
                    // The key that named no wanted field here last time.
                    key = JSONCursor.Key(start: c.pos + 1, end: c.pos + 1 + n, escaped: false)
                    c.pos += n + 2
                    field = -1
                } else {
                    key = try c.readKey()
                    field = match(key, position: position, bytes: bytes)
                }
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw c.error("expected ':' after an object key") }
                c.pos += 1
                c.skipWhitespace()
                if field >= 0, asTimestamp[field], c.peek() == 0x22, let t = c.readTimestamp(&times) {
                    if moveFirst, field < 64, stored & (1 << field) == 0 {
                        stored |= 1 << field
                        (row + fieldColumn[field]).initialize(to: .datetime(t))
                    } else {
                        row[fieldColumn[field]] = .datetime(t)
                    }
                } else if field >= 0, field < 64, stored & (1 << field) == 0, moveFirst {
                    // The common case: a field's first value, moved into its column. Strings and
                    // numbers are read without going through readValue's dispatch.
                    stored |= 1 << field
                    let v: Value
                    switch c.peek() {
                    case 0x22: v = .string(try c.readString())
                    case 0x2D, 0x30...0x39: v = try c.readNumber()
                    default: v = try c.readValue()
                    }
                    (row + fieldColumn[field]).initialize(to: v)
                } else if field >= 0 || wantsRecord {
                    let v = try c.readValue()
                    if field >= 0 { row[fieldColumn[field]] = v }
                    if wantsRecord {
                        let name = key.decoded(bytes)
                        if !recordNames.contains(where: { $0.caseInsensitiveEquals(name) }) {
                            recordNames.append(name)
                            recordValues.append(v)
                        }
                    }
                    if let af = arrivalField, key.equalsFolded(af, bytes), case .string(let s) = v {
                        arrival = Timestamp(parsing: s)?.ticks
                    }
                } else if let af = arrivalField, key.equalsFolded(af, bytes) {
                    if case .string(let s) = try c.readValue() { arrival = Timestamp(parsing: s)?.ticks }
                } else {
                    try c.skipValue()
                }
                position += 1
                c.skipWhitespace()
                if c.peek() == UInt8(ascii: ",") { c.pos += 1; continue }
                if c.peek() == UInt8(ascii: "}") { c.pos += 1; break }
                throw c.error("expected ',' or '}' in an object")
            }
        }
        c.skipWhitespace()
        guard c.pos == bytes.count else { throw c.error("unexpected text after the JSON object") }
        if wantsRecord { row[0] = .record(Record(names: recordNames, values: recordValues)) }
        return arrival
    }

    /// The wanted field matching `key`, or -1. Tries the field seen at this position last time first.
    @inline(__always)
    private mutating func match(_ key: JSONCursor.Key, position: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if position < hints.count {
            let h = hints[position]
            if h >= 0, fields.matches(h, key, bytes) { return h }
        }
        var found = -1
        if key.escaped || !fields.cannotMatch(key) {
            for i in 0..<fields.count where fields.matches(i, key, bytes) {
                found = i
                break
            }
        }
        if found < 0 && !key.escaped { unwanted.remember(position, key.start, key.end, bytes) }
        if position < hints.count { hints[position] = found } else if position == hints.count { hints.append(found) }
        return found
    }
}
