/// The Protocol Buffers wire format, written by hand for the few ONNX messages an export needs.
///
/// Why not swift-protobuf: an export writes eight small messages (model, graph, node, attribute,
/// tensor, value info, type, opset id) and reads none back. Their encoding is a few hundred lines
/// here, readable next to `onnx.proto`; generated code for the whole of `onnx.proto` is several
/// thousand lines plus a runtime dependency for every user of the library, to be regenerated
/// whenever the schema moves. The wire format itself has not changed since proto2.
///
/// Every field is written with its tag (repeated scalars unpacked, as proto2 declares them), which
/// any protobuf reader accepts.
struct ProtobufWriter {
    /// The encoded message so far.
    private(set) var bytes: [UInt8] = []

    /// The wire types this writer uses.
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// A base-128 varint: seven bits a byte, least significant first, the high bit set on all but
    /// the last.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A field's key: its number and wire type.
    mutating func key(_ field: Int, _ type: WireType) { varint(UInt64(field) << 3 | type.rawValue) }

    /// An `int32`, `int64` or enum field (negative values as ten-byte two's complement, as protobuf does).
    mutating func integer(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// A `float` field: four little-endian bytes.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8); empty strings are left out, as an unset optional field.
    mutating func string(_ field: Int, _ value: String) {
        if !value.isEmpty { data(field, Array(value.utf8)) }
    }

    /// An embedded message, encoded by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        data(field, inner.bytes)
    }
}
