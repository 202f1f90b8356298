/// The ONNX messages an export writes, with the field numbers of `onnx.proto` (IR version 8,
/// opset 17). Only the fields seqtool sets are here; see `ProtobufWriter` for why they are
/// written by hand.
public enum ONNX {
    /// The IR version written: 8, the one opset 17 belongs to.
    public static let irVersion = 8
    /// The default (`ai.onnx`) operator set the graphs use.
    public static let opsetVersion = 17

    /// `TensorProto.DataType`: the element types seqtool's graphs use.
    public enum ElementType: Int, Sendable {
        /// 32-bit IEEE float.
        case float = 1
        /// 32-bit signed integer (the recurrent operators' `sequence_lens`).
        case int32 = 6
        /// 64-bit signed integer (token ids, lengths, shapes).
        case int64 = 7
    }

    /// `TensorProto`: a named constant (an initializer or an attribute's value), little-endian in
    /// `raw_data`.
    public struct TensorValue: Sendable {
        /// The name nodes refer to it by.
        public var name: String
        /// Its element type.
        public var elementType: ElementType
        /// Its shape, outermost first.
        public var dims: [Int]
        /// Its values, little-endian, row-major.
        public var raw: [UInt8]
        /// What it is, for people reading the graph.
        public var docString: String

        /// Float values of shape `dims`.
        public init(name: String, floats: [Float], dims: [Int], docString: String = "") {
            precondition(floats.count == dims.reduce(1, *), "ONNX.TensorValue \(name): \(floats.count) values, \(dims)")
            var raw: [UInt8] = []
            raw.reserveCapacity(floats.count * 4)
            for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
            (self.name, elementType, self.dims, self.raw, self.docString) = (name, .float, dims, raw, docString)
        }

        /// 64-bit integers of shape `dims`.
        public init(name: String, int64s: [Int64], dims: [Int], docString: String = "") {
            precondition(int64s.count == dims.reduce(1, *), "ONNX.TensorValue \(name): \(int64s.count) values, \(dims)")
            var raw: [UInt8] = []
            raw.reserveCapacity(int64s.count * 8)
            for v in int64s { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
            (self.name, elementType, self.dims, self.raw, self.docString) = (name, .int64, dims, raw, docString)
        }

        func encode(_ w: inout ProtobufWriter) {
            for d in dims { w.integer(1, Int64(d)) }
            w.integer(2, Int64(elementType.rawValue))
            w.string(8, name)
            w.data(9, raw)
            w.string(12, docString)
        }
    }

    /// `AttributeProto`'s value: the kinds seqtool's nodes use.
    public enum AttributeValue: Sendable {
        /// `FLOAT` (1).
        case float(Float)
        /// `INT` (2).
        case int(Int)
        /// `STRING` (3).
        case string(String)
        /// `TENSOR` (4).
        case tensor(TensorValue)
        /// `INTS` (7).
        case ints([Int])
        /// `STRINGS` (8).
        case strings([String])
    }

    /// `AttributeProto`: a node's named setting.
    public struct Attribute: Sendable {
        /// The operator's name for it (`hidden_size`, `direction`, `perm`).
        public var name: String
        /// Its value.
        public var value: AttributeValue

        /// The attribute `name` = `value`.
        public init(_ name: String, _ value: AttributeValue) { (self.name, self.value) = (name, value) }

        func encode(_ w: inout ProtobufWriter) {
            w.string(1, name)
            switch value {
            case .float(let f):
                w.float(2, f)
                w.integer(20, 1)
            case .int(let i):
                w.integer(3, Int64(i))
                w.integer(20, 2)
            case .string(let s):
                w.data(4, Array(s.utf8))
                w.integer(20, 3)
            case .tensor(let t):
                w.message(5) { t.encode(&$0) }
                w.integer(20, 4)
            case .ints(let values):
                for v in values { w.integer(8, Int64(v)) }
                w.integer(20, 7)
            case .strings(let values):
                for s in values { w.data(9, Array(s.utf8)) }
                w.integer(20, 8)
            }
        }
    }

    /// `NodeProto`: one operator applied to named values.
    public struct Node: Sendable {
        /// The operator (`LSTM`, `Gemm`, ...) of the default domain.
        public var opType: String
        /// The node's name, unique in its graph.
        public var name: String
        /// The names of its inputs, in the operator's order; "" for an optional input left out.
        public var inputs: [String]
        /// The names of its outputs.
        public var outputs: [String]
        /// Its attributes.
        public var attributes: [Attribute]
        /// What it computes, for people reading the graph.
        public var docString: String

        /// A node of `opType`.
        public init(
            _ opType: String, name: String, inputs: [String], outputs: [String], attributes: [Attribute] = [],
            docString: String = ""
        ) {
            (self.opType, self.name, self.inputs, self.outputs) = (opType, name, inputs, outputs)
            (self.attributes, self.docString) = (attributes, docString)
        }

        func encode(_ w: inout ProtobufWriter) {
            for i in inputs { w.data(1, Array(i.utf8)) }
            for o in outputs { w.data(2, Array(o.utf8)) }
            w.string(3, name)
            w.string(4, opType)
            for a in attributes { w.message(5) { a.encode(&$0) } }
            w.string(6, docString)
        }
    }

    /// One axis of a value's shape: a fixed size or a named symbolic one (`batch`, `steps`).
    public enum Dimension: Sendable, Equatable {
        /// A size known when the graph is built.
        case fixed(Int)
        /// A size the caller chooses, named (equal names mean equal sizes).
        case symbolic(String)
    }

    /// `ValueInfoProto` with a tensor `TypeProto`: a graph input's or output's name, element type,
    /// shape and description.
    public struct ValueInfo: Sendable {
        /// Its name.
        public var name: String
        /// Its element type.
        public var elementType: ElementType
        /// Its shape.
        public var shape: [Dimension]
        /// What it is: layout, units, meaning.
        public var docString: String

        /// A tensor value `name` of `elementType` and `shape`, described by `docString`.
        public init(_ name: String, _ elementType: ElementType, _ shape: [Dimension], docString: String) {
            (self.name, self.elementType, self.shape, self.docString) = (name, elementType, shape, docString)
        }

        func encode(_ w: inout ProtobufWriter) {
            w.string(1, name)
            w.message(2) { type in  // TypeProto
                type.message(1) { tensor in  // TypeProto.Tensor
                    tensor.integer(1, Int64(elementType.rawValue))
                    tensor.message(2) { shapeProto in  // TensorShapeProto
                        for d in shape {
                            shapeProto.message(1) { dimension in
                                switch d {
                                case .fixed(let n): dimension.integer(1, Int64(n))
                                case .symbolic(let s): dimension.data(2, Array(s.utf8))
                                }
                            }
                        }
                    }
                }
            }
            w.string(3, docString)
        }
    }

    /// `GraphProto`: nodes in topological order, the constants they use, the inputs and outputs.
    public struct Graph: Sendable {
        /// The graph's name.
        public var name: String
        /// Its nodes, each after the nodes whose outputs it reads.
        public var nodes: [Node] = []
        /// Its constants (weights).
        public var initializers: [TensorValue] = []
        /// What the caller feeds.
        public var inputs: [ValueInfo] = []
        /// What the caller gets back.
        public var outputs: [ValueInfo] = []
        /// What the graph computes.
        public var docString: String = ""

        /// An empty graph named `name`.
        public init(name: String) { self.name = name }

        func encode(_ w: inout ProtobufWriter) {
            for n in nodes { w.message(1) { n.encode(&$0) } }
            w.string(2, name)
            for t in initializers { w.message(5) { t.encode(&$0) } }
            w.string(10, docString)
            for i in inputs { w.message(11) { i.encode(&$0) } }
            for o in outputs { w.message(12) { o.encode(&$0) } }
        }
    }

    /// `ModelProto`: a graph with the IR version, operator set and producer, ready to save as a
    /// `.onnx` file.
    public struct Model: Sendable {
        /// The graph.
        public var graph: Graph
        /// The program that wrote it.
        public var producerName = "seqtool"
        /// That program's version.
        public var producerVersion = ""
        /// What the model is.
        public var docString = ""
        /// `metadata_props`: key-value pairs (vocabulary, class names) a caller can read back.
        public var metadata: [(key: String, value: String)] = []

        /// A model of `graph`.
        public init(graph: Graph) { self.graph = graph }

        /// A model of `graph` described by `docString`, with a model file's `metadata` (sorted by key).
        public init(graph: Graph, docString: String, metadata: [String: String]) {
            self.graph = graph
            self.docString = docString
            self.metadata = metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        }

        /// The model's protobuf encoding, the content of a `.onnx` file.
        public func serialized() -> [UInt8] {
            var w = ProtobufWriter()
            w.integer(1, Int64(ONNX.irVersion))
            w.string(2, producerName)
            w.string(3, producerVersion)
            w.string(6, docString)
            w.message(7) { graph.encode(&$0) }
            w.message(8) { opset in  // OperatorSetIdProto of the default domain ("")
                opset.integer(2, Int64(ONNX.opsetVersion))
            }
            for (key, value) in metadata {
                w.message(14) { entry in  // StringStringEntryProto
                    entry.string(1, key)
                    entry.string(2, value)
                }
            }
            return w.bytes
        }
    }
}
