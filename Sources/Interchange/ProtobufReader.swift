/// Reads the Protocol Buffers wire format: a message as its fields, each checked against the
/// bytes that remain, so that a truncated or corrupt file is an error and never a crash.
struct ProtobufReader {
    /// One field's value, by wire type.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)

        var integer: Int64? { if case .varint(let v) = self { Int64(bitPattern: v) } else { nil } }
        var bytes: ArraySlice<UInt8>? { if case .bytes(let b) = self { b } else { nil } }
        var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        var float: Float? { if case .fixed32(let v) = self { Float(bitPattern: v) } else { nil } }
    }

    /// Why bytes are not a protobuf message.
    struct Malformed: Error {
        let problem: String
    }

    /// The fields of the message `bytes`, in order.
    static func fields(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [(field: Int, value: Value)] {
        var i = bytes.startIndex
        func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex else { throw Malformed(problem: "a varint runs past the end") }
                let byte = bytes[i]
                i += 1
                guard shift < 64 else { throw Malformed(problem: "a varint is longer than ten bytes") }
                value |= UInt64(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80 { return value }
            }
        }
        func take(_ n: UInt64) throws(Malformed) -> ArraySlice<UInt8> {
            guard n <= UInt64(bytes.endIndex - i) else {
                throw Malformed(problem: "a field of \(n) bytes runs past the end of its message")
            }
            defer { i += Int(n) }
            return bytes[i..<(i + Int(n))]
        }
        var fields: [(field: Int, value: Value)] = []
        while i < bytes.endIndex {
            let key = try varint()
            let field = Int(truncatingIfNeeded: key >> 3)
            guard field > 0, field < 1 << 29 else { throw Malformed(problem: "field number \(key >> 3)") }
            switch key & 7 {
            case 0: fields.append((field, .varint(try varint())))
            case 1:
                let b = try take(8)
                fields.append((field, .fixed64(b.reversed().reduce(0) { $0 << 8 | UInt64($1) })))
            case 2: fields.append((field, .bytes(try take(try varint()))))
            case 5:
                let b = try take(4)
                fields.append((field, .fixed32(b.reversed().reduce(0) { $0 << 8 | UInt32($1) })))
            default: throw Malformed(problem: "wire type \(key & 7) of field \(field)")
            }
        }
        return fields
    }

    /// The integers of a repeated integer field, packed (one length-delimited run) or not.
    static func integers(_ value: Value) throws(Malformed) -> [Int64] {
        switch value {
        case .varint(let v): return [Int64(bitPattern: v)]
        case .bytes(let run):
            var out: [Int64] = []
            var rest = run
            while !rest.isEmpty {
                var v: UInt64 = 0, shift: UInt64 = 0, done = false
                while !done {
                    guard let byte = rest.first, shift < 64 else { throw Malformed(problem: "a packed varint") }
                    rest = rest.dropFirst()
                    v |= UInt64(byte & 0x7F) << shift
                    shift += 7
                    done = byte < 0x80
                }
                out.append(Int64(bitPattern: v))
            }
            return out
        default: throw Malformed(problem: "an integer field of another wire type")
        }
    }

    /// The floats of a repeated float field, packed or not.
    static func floats(_ value: Value) throws(Malformed) -> [Float] {
        switch value {
        case .fixed32(let v): return [Float(bitPattern: v)]
        case .bytes(let run):
            guard run.count % 4 == 0 else { throw Malformed(problem: "packed floats of \(run.count) bytes") }
            return littleEndianFloats(run)
        default: throw Malformed(problem: "a float field of another wire type")
        }
    }
}

/// Little-endian float32 values of `bytes` (a multiple of four).
func littleEndianFloats(_ bytes: ArraySlice<UInt8>) -> [Float] {
    stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { i in
        Float(
            bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3])
                << 24)
    }
}

/// Little-endian int64 values of `bytes` (a multiple of eight).
func littleEndianInt64s(_ bytes: ArraySlice<UInt8>) -> [Int64] {
    stride(from: bytes.startIndex, to: bytes.endIndex, by: 8).map { i in
        Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) })
    }
}

/// Little-endian int32 values of `bytes` (a multiple of four).
func littleEndianInt32s(_ bytes: ArraySlice<UInt8>) -> [Int64] {
    stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { i in
        Int64(Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) }))
    }
}
