import Planner

/// Reads CSV records (RFC 4180: quoted fields, doubled quotes) into rows, mapping columns to the
/// layout's fields by header name, ignoring case. Values are typed as ASA's CSV reader types them:
/// integers become bigint, decimal numbers float, everything else nvarchar; an empty unquoted field is NULL.
struct CSVEventParser {
    let layout: InputLayout
    private let arrivalField: String?
    /// For each CSV column: the row column it fills (or -1), and whether it holds the arrival time.
    private var targets: [Int] = []
    private var arrivalColumn = -1
    private var header: [String] = []

    init(layout: InputLayout, arrivalField: String?) {
        self.layout = layout
        self.arrivalField = arrivalField
    }

    mutating func readHeader(_ line: UnsafeBufferPointer<UInt8>) throws(DecodeError) {
        let names = try Self.split(line).map { $0.text }
        var seen = Set<String>()
        for n in names where !seen.insert(n.lowercased()).inserted {
            throw DecodeError(message: "duplicate column '\(n)' in the CSV header", offset: 0)
        }
        header = names
        targets = names.map { name in
            layout.fields.firstIndex { $0.caseInsensitiveEquals(name) }.map { layout.column(ofField: $0) } ?? -1
        }
        if let af = arrivalField { arrivalColumn = names.firstIndex { $0.caseInsensitiveEquals(af) } ?? -1 }
    }

    func parse(_ line: UnsafeBufferPointer<UInt8>, into row: UnsafeMutablePointer<Value>) throws(DecodeError) -> Int64? {
        let fields = try Self.split(line)
        guard fields.count == header.count else {
            throw DecodeError(message: "expected \(header.count) fields, found \(fields.count)", offset: 0)
        }
        var arrival: Int64?
        var names: [String] = [], values: [Value] = []
        for (i, f) in fields.enumerated() {
            let v = Self.typed(f)
            if targets[i] >= 0 { row[targets[i]] = v }
            if i == arrivalColumn { arrival = Timestamp(parsing: f.text)?.ticks }
            if layout.wantsRecord {
                names.append(header[i])
                values.append(v)
            }
        }
        if layout.wantsRecord { row[0] = .record(Record(names: names, values: values)) }
        return arrival
    }

    struct Field {
        var text: String
        var quoted: Bool
    }

    static func typed(_ f: Field) -> Value {
        if f.quoted { return .string(f.text) }
        if f.text.isEmpty { return .null }
        if let i = Int64(f.text) { return .bigint(i) }
        if let first = f.text.utf8.first, first == 0x2D || first == 0x2E || (first >= 0x30 && first <= 0x39),
           let d = Double(f.text), d.isFinite { return .float(d) }
        return .string(f.text)
    }

    static func split(_ line: UnsafeBufferPointer<UInt8>) throws(DecodeError) -> [Field] {
        var fields: [Field] = []
        var i = 0
        let n = line.count
        while true {
            if i < n, line[i] == 0x22 {
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if line[i] == 0x22 {
                        if i + 1 < n, line[i + 1] == 0x22 { bytes.append(0x22); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    bytes.append(line[i])
                    i += 1
                }
                guard closed else { throw DecodeError(message: "unterminated quoted field", offset: i) }
                fields.append(Field(text: String(decoding: bytes, as: UTF8.self), quoted: true))
                if i < n && line[i] != 0x2C { throw DecodeError(message: "text after a quoted field", offset: i) }
            } else {
                let s = i
                while i < n, line[i] != 0x2C { i += 1 }
                fields.append(Field(text: String(decoding: UnsafeBufferPointer(rebasing: line[s..<i]), as: UTF8.self), quoted: false))
            }
            if i >= n { break }
            i += 1  // comma
            if i == n { fields.append(Field(text: "", quoted: false)); break }
        }
        return fields
    }
}
