/// An ONNX file as the importer reads it: the main graph's nodes, constants (initializers and
/// `Constant` nodes), inputs, outputs and the model's metadata. Decoded from the protobuf bytes
/// with `ProtobufReader` (the field numbers of `onnx.proto`, as `ONNX` writes them).
struct DecodedModel {
    struct Tensor {
        var name = "", dataType = 0, dims: [Int] = []
        /// Float values (FLOAT), or nil.
        var floats: [Float]?
        /// Integer values (INT64, INT32), or nil.
        var integers: [Int64]?
    }

    enum Attribute {
        case int(Int64)
        case float(Float)
        case string(String)
        case ints([Int64])
        case floats([Float])
        case strings([String])
        case tensor(Tensor)
        case other
    }

    struct Node {
        var name = "", opType = "", domain = ""
        var inputs: [String] = [], outputs: [String] = []
        var attributes: [String: Attribute] = [:]

        /// The node as messages name it: "/rnn/LSTM (LSTM)".
        var label: String { "\(name.isEmpty ? outputs.first ?? "?" : name) (\(opType))" }
    }

    var nodes: [Node] = []
    var constants: [String: Tensor] = [:]
    var inputs: [String] = [], outputs: [String] = []
    var metadata: [String: String] = [:]
    var opset = 0

    typealias Malformed = ProtobufReader.Malformed

    init(_ bytes: [UInt8]) throws(Malformed) {
        var graph: ArraySlice<UInt8>?
        for (field, value) in try ProtobufReader.fields(bytes[...]) {
            switch field {
            case 7: graph = value.bytes
            case 8:  // OperatorSetIdProto
                var domain = "", version: Int64 = 0
                for (f, v) in try ProtobufReader.fields(try Self.bytes(v: value)) {
                    if f == 1 { domain = v.string ?? "" }
                    if f == 2 { version = v.integer ?? 0 }
                }
                if domain == "" || domain == "ai.onnx" { opset = Int(clamping: version) }
            case 14:  // StringStringEntryProto
                var key = "", text = ""
                for (f, v) in try ProtobufReader.fields(try Self.bytes(v: value)) {
                    if f == 1 { key = v.string ?? "" }
                    if f == 2 { text = v.string ?? "" }
                }
                metadata[key] = text
            default: break
            }
        }
        guard let graph else { throw Malformed(problem: "there is no graph (ModelProto field 7)") }
        for (field, value) in try ProtobufReader.fields(graph) {
            switch field {
            case 1:
                let node = try Self.node(try Self.bytes(v: value))
                if node.opType == "Constant", node.outputs.count == 1, case .tensor(var t)? = node.attributes["value"] {
                    t.name = node.outputs[0]
                    constants[t.name] = t
                } else {
                    nodes.append(node)
                }
            case 5:
                let t = try Self.tensor(try Self.bytes(v: value))
                constants[t.name] = t
            case 11, 12:
                var name = ""
                for (f, v) in try ProtobufReader.fields(try Self.bytes(v: value)) where f == 1 { name = v.string ?? "" }
                if field == 11 { inputs.append(name) } else { outputs.append(name) }
            default: break
            }
        }
        // An initializer may also be listed as an input (IR < 4 style): it is a constant.
        inputs.removeAll { constants[$0] != nil }
    }

    static func bytes(v: ProtobufReader.Value) throws(Malformed) -> ArraySlice<UInt8> {
        guard let b = v.bytes else { throw Malformed(problem: "an embedded message of another wire type") }
        return b
    }

    static func node(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> Node {
        var node = Node()
        for (field, value) in try ProtobufReader.fields(bytes) {
            switch field {
            case 1: node.inputs.append(value.string ?? "")
            case 2: node.outputs.append(value.string ?? "")
            case 3: node.name = value.string ?? ""
            case 4: node.opType = value.string ?? ""
            case 7: node.domain = value.string ?? ""
            case 5:
                let (name, attribute) = try Self.attribute(try Self.bytes(v: value))
                node.attributes[name] = attribute
            default: break
            }
        }
        return node
    }

    static func attribute(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> (String, Attribute) {
        var name = "", type: Int64 = 0
        var i: Int64 = 0, f: Float = 0, s = "", t: Tensor?
        var ints: [Int64] = [], floats: [Float] = [], strings: [String] = []
        for (field, value) in try ProtobufReader.fields(bytes) {
            switch field {
            case 1: name = value.string ?? ""
            case 2: f = value.float ?? 0
            case 3: i = value.integer ?? 0
            case 4: s = value.string ?? ""
            case 5: t = try Self.tensor(try Self.bytes(v: value))
            case 7: floats += try ProtobufReader.floats(value)
            case 8: ints += try ProtobufReader.integers(value)
            case 9: strings.append(value.string ?? "")
            case 20: type = value.integer ?? 0
            default: break
            }
        }
        switch type {
        case 1: return (name, .float(f))
        case 2: return (name, .int(i))
        case 3: return (name, .string(s))
        case 4: return (name, t.map { .tensor($0) } ?? .other)
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        default: return (name, .other)
        }
    }

    static func tensor(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> Tensor {
        var t = Tensor()
        var raw: ArraySlice<UInt8>?, floatData: [Float] = [], intData: [Int64] = [], external = false
        for (field, value) in try ProtobufReader.fields(bytes) {
            switch field {
            case 1: t.dims += try ProtobufReader.integers(value).map { Int(clamping: $0) }
            case 2: t.dataType = Int(clamping: value.integer ?? 0)
            case 4: floatData += try ProtobufReader.floats(value)
            case 5, 7: intData += try ProtobufReader.integers(value)
            case 8: t.name = value.string ?? ""
            case 9: raw = value.bytes
            case 14: external = value.integer == 1
            default: break
            }
        }
        guard !external else { throw Malformed(problem: "tensor \(t.name) keeps its data in an external file") }
        guard t.dims.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
            throw Malformed(problem: "tensor \(t.name) has dimensions \(t.dims)")
        }
        let count = t.dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        switch t.dataType {
        case 1:
            t.floats = raw.map { $0.count % 4 == 0 ? littleEndianFloats($0) : [] } ?? floatData
        case 7:
            t.integers = raw.map { $0.count % 8 == 0 ? littleEndianInt64s($0) : [] } ?? intData
        case 6:
            t.integers = raw.map { $0.count % 4 == 0 ? littleEndianInt32s($0) : [] } ?? intData
        default: return t
        }
        guard (t.floats?.count ?? t.integers?.count) == count else {
            throw Malformed(problem: "tensor \(t.name) of dimensions \(t.dims) holds another number of values")
        }
        return t
    }
}
