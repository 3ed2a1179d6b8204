/// Encodes Thrift structs in the compact protocol, the encoding of Parquet's footer and page headers.
///
/// Written by hand because no Thrift library is packaged for Swift or Debian here, and Parquet needs
/// only the writing half of a handful of types: fields are written in increasing id order, each as a
/// delta from the previous one when it fits in four bits.
struct ThriftCompactWriter {
    /// Compact-protocol type ids.
    enum FieldType: UInt8 {
        case boolTrue = 1, boolFalse = 2, i16 = 4, i32 = 5, i64 = 6, binary = 8, list = 9, structure = 12
    }

    private(set) var bytes: [UInt8] = []
    private var lastField: Int16 = 0
    private var outer: [Int16] = []

    private mutating func header(_ id: Int16, _ type: FieldType) {
        let delta = id - lastField
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            varint(zigzag(Int64(id)))
        }
        lastField = id
    }

    private func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func i32(_ id: Int16, _ v: Int32) {
        header(id, .i32)
        varint(zigzag(Int64(v)))
    }

    mutating func i64(_ id: Int16, _ v: Int64) {
        header(id, .i64)
        varint(zigzag(v))
    }

    mutating func bool(_ id: Int16, _ v: Bool) { header(id, v ? .boolTrue : .boolFalse) }

    mutating func binary(_ id: Int16, _ v: [UInt8]) {
        header(id, .binary)
        varint(UInt64(v.count))
        bytes.append(contentsOf: v)
    }

    mutating func string(_ id: Int16, _ v: String) { binary(id, Array(v.utf8)) }

    /// A nested struct field; `body` writes its fields.
    mutating func structure(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        header(id, .structure)
        beginStruct()
        body(&self)
        endStruct()
    }

    /// A nested struct field already encoded on its own (with its stop byte).
    mutating func structure(_ id: Int16, encoded: [UInt8]) {
        header(id, .structure)
        bytes.append(contentsOf: encoded)
    }

    /// A list field of `count` elements of `type`; `body` writes the elements.
    mutating func list(_ id: Int16, _ type: FieldType, count: Int, _ body: (inout ThriftCompactWriter) -> Void) {
        header(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
        body(&self)
    }

    /// A list element: an i32 (enums).
    mutating func element(_ v: Int32) { varint(zigzag(Int64(v))) }

    /// A list element: a string.
    mutating func element(_ v: String) {
        varint(UInt64(v.utf8.count))
        bytes.append(contentsOf: v.utf8)
    }

    /// A list element: a struct written by `body`.
    mutating func element(_ body: (inout ThriftCompactWriter) -> Void) {
        beginStruct()
        body(&self)
        endStruct()
    }

    /// A list element: a struct already encoded on its own (a row group kept from a checkpoint).
    mutating func element(encoded: [UInt8]) { bytes.append(contentsOf: encoded) }

    private mutating func beginStruct() {
        outer.append(lastField)
        lastField = 0
    }

    private mutating func endStruct() {
        bytes.append(0)
        lastField = outer.removeLast()
    }

    /// A top-level struct: its fields, then the stop byte.
    static func structBytes(_ body: (inout ThriftCompactWriter) -> Void) -> [UInt8] {
        var w = ThriftCompactWriter()
        body(&w)
        w.bytes.append(0)
        return w.bytes
    }
}
