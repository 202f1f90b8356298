import Classification
import Datasets
import Foundation
import LanguageModel
import Recurrent
import SeqTensor

/// Why an ONNX file cannot become a seqtool model: the file, and what does not fit (a node by
/// name, a tensor, a setting).
public struct ImportError: Error, CustomStringConvertible, Equatable {
    /// The ONNX file.
    public let file: String
    /// What does not fit, and why.
    public let problem: String

    /// The error for `file`.
    public init(file: String, problem: String) { (self.file, self.problem) = (file, problem) }

    public var description: String { "\(file): \(problem)" }
}

/// An ONNX recurrent model as a seqtool model file.
public struct ImportedModel: Sendable {
    /// What the ONNX graph became.
    public enum Kind: String, Sendable {
        /// Embedding -> recurrent stack -> Linear over every step: a character model.
        case charModel = "character model"
        /// Series -> recurrent stack -> Linear over the last layer's final state: a classifier.
        case classifier = "recurrent classifier"
    }

    /// The kind of model.
    public let kind: Kind
    /// The model file's tensors (PyTorch's names) and metadata, ready for `SafeTensors.write`.
    public let file: SafeTensors.File
}

/// Reads ONNX recurrent models into seqtool's: the graphs `torch.onnx.export` writes for an
/// `nn.Embedding -> nn.LSTM | nn.GRU | nn.RNN -> nn.Linear` character model (the head over every
/// step) and for a classifier `nn.LSTM | nn.GRU | nn.RNN -> nn.Linear` over the last layer's
/// final state (both directions concatenated, forward first: `torch.cat([h[-2], h[-1]], 1)`),
/// stacked and bidirectional; and the graphs `seqtool export` writes of a character model or a
/// recurrent classifier (its standardisation, `(x - mean) * (1 / std)`, and its every-k-th-step
/// Slice read back into the classifier's metadata).
///
/// ONNX's gate blocks (LSTM i, o, f, c; GRU z, r, h) go back to PyTorch's (i, f, g, o; r, z, n)
/// and the biases [Wb, Rb] to `bias_ih` and `bias_hh`; `linear_before_reset = 1` is PyTorch's GRU,
/// 0 the `gru_reset_before` cell. Anything else is refused with the name of the node that does not
/// fit: another operator, a peephole, a clip, other activations.
public enum ONNXImport {
    /// The operators a graph of seqtool's layers may hold: the layers themselves, and the shape
    /// and indexing glue exporters put between them.
    static let glue: Set<String> = [
        "Squeeze", "Unsqueeze", "Transpose", "Reshape", "Identity", "Concat", "Gather", "Slice", "Split", "Shape",
        "Expand", "ConstantOfShape", "Cast",
    ]
    static let recurrentOps: Set<String> = ["LSTM", "GRU", "RNN"]
    /// Arithmetic, allowed where the importer accounts for it: the head's bias, the
    /// standardisation of a series input (Sub, Mul), the lengths of the sequences (Add, Div).
    static let arithmetic: Set<String> = ["Add", "Sub", "Mul", "Div"]
    static let allowed = glue.union(recurrentOps).union(arithmetic).union(["Gemm", "MatMul"])

    /// The model in the ONNX file at `path`.
    /// - Parameters:
    ///   - path: the ONNX file.
    ///   - vocabulary: a character model's vocabulary (default: the file's metadata `vocab`).
    ///   - classNames: a classifier's class names (default: the file's metadata `class_names`, else
    ///     "0", "1", ...).
    public static func read(path: String, vocabulary: CharVocabulary? = nil, classNames: [String]? = nil)
        throws(ImportError) -> ImportedModel
    {
        let bytes: [UInt8]
        do {
            bytes = try SafeTensors.readBytes(path: path)
        } catch {
            let text = "\(error)"  // names the file already
            throw ImportError(
                file: path, problem: text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
        }
        return try decode(bytes, path: path, vocabulary: vocabulary, classNames: classNames)
    }

    /// The model in `bytes`, an ONNX file read from `path` (named in errors).
    public static func decode(
        _ bytes: [UInt8], path: String, vocabulary: CharVocabulary? = nil, classNames: [String]? = nil
    ) throws(ImportError) -> ImportedModel {
        let model: DecodedModel
        do {
            model = try DecodedModel(bytes)
        } catch {
            throw ImportError(file: path, problem: "is not an ONNX model (\(error.problem))")
        }
        return try GraphReader(model: model, path: path).read(vocabulary: vocabulary, classNames: classNames)
    }
}

/// The importer's walk over one decoded graph.
struct GraphReader {
    let model: DecodedModel
    let path: String
    /// Which node writes each value.
    var producer: [String: Int] = [:]

    init(model: DecodedModel, path: String) {
        (self.model, self.path) = (model, path)
        for (k, node) in model.nodes.enumerated() { for o in node.outputs { producer[o] = k } }
    }

    func fail(_ problem: String) -> ImportError { ImportError(file: path, problem: problem) }

    /// The constant `name` (an initializer or a Constant node's value) of float values, shaped `rank`-D.
    func constant(_ name: String, rank: Int, of node: DecodedModel.Node) throws(ImportError) -> DecodedModel.Tensor {
        guard let t = model.constants[name], t.floats != nil, t.dims.count == rank else {
            throw fail(
                "node \(node.label) reads \(name.isEmpty ? "nothing" : name) where seqtool needs a constant "
                    + "float tensor of \(rank) dimensions (its weights)")
        }
        return t
    }

    /// The node that produces `value` after skipping `through` (following each one's first input).
    func source(of value: String, through: Set<String>) -> (node: Int?, value: String) {
        var v = value, steps = 0
        // At most one step per node: a malformed graph may loop.
        while let k = producer[v], through.contains(model.nodes[k].opType), let next = model.nodes[k].inputs.first,
            steps <= model.nodes.count
        {
            (v, steps) = (next, steps + 1)
        }
        return (producer[v], v)
    }

    /// Every value reachable backwards from `value` through glue operators (all their inputs).
    func ancestors(of value: String) -> Set<String> {
        var seen: Set<String> = [], stack = [value]
        while let v = stack.popLast() {
            guard seen.insert(v).inserted, let k = producer[v], ONNXImport.glue.contains(model.nodes[k].opType) else {
                continue
            }
            stack += model.nodes[k].inputs.filter { !$0.isEmpty && model.constants[$0] == nil }
        }
        return seen
    }

    func read(vocabulary: CharVocabulary?, classNames: [String]?) throws(ImportError) -> ImportedModel {
        for node in model.nodes
        where !ONNXImport.allowed.contains(node.opType) || !["", "ai.onnx"].contains(node.domain) {
            throw fail(
                "node \(node.label) does not fit seqtool's layers (an embedding or series input, LSTM, GRU or RNN "
                    + "layers, a linear head)")
        }
        if let node = model.nodes.first(where: { $0.outputs.first?.isEmpty ?? true }) {
            throw fail("node \(node.label) has no output")
        }
        let layers = model.nodes.filter { ONNXImport.recurrentOps.contains($0.opType) }
        guard let first = layers.first else { throw fail("has no LSTM, GRU or RNN node") }
        let stack = try RecurrentLayers(layers, reader: self)
        // The layers form a chain: each reads the output sequence of the one before.
        for (k, layer) in layers.enumerated().dropFirst() {
            let (node, _) = source(of: layer.inputs[0], through: ["Squeeze", "Transpose", "Reshape", "Identity"])
            guard let node, model.nodes[node].outputs.first == layers[k - 1].outputs.first else {
                throw fail("node \(layer.label) does not read the output sequence of \(layers[k - 1].label)")
            }
        }
        // The input: an embedding lookup of token ids, or the graph's series input (standardised and
        // read every k-th step in the graphs seqtool writes).
        let input = try SeriesInput(first.inputs[0], reader: self)
        var accounted = input.nodes
        // What computes the sequences' lengths (from a graph input) is not a layer.
        for layer in layers where layer.inputs.count > 4 && !layer.inputs[4].isEmpty {
            accounted.formUnion(producers(of: layer.inputs[4]))
        }
        let head = try Head(reader: self)
        accounted.formUnion(head.nodes)
        if let k = model.nodes.indices.first(where: {
            ONNXImport.arithmetic.contains(model.nodes[$0].opType) && !accounted.contains($0)
        }) {
            throw fail("node \(model.nodes[k].label) does not fit seqtool's layers (arithmetic that is not a layer's)")
        }
        let embedding = input.embedding
        let reached = ancestors(of: head.input)
        let perStep = reached.contains(layers.last!.outputs[0])
        let finalState = layers.last!.outputs.count > 1 && reached.contains(layers.last!.outputs[1])
        let (D, H) = (stack.directions, stack.hidden)
        if let embedding {
            guard perStep, D == 1 else {
                throw fail(
                    "an embedding input needs a one-direction stack with the head over every step (a character model)")
            }
            let V = embedding.dims[0], E = embedding.dims[1]
            guard head.weight.dims == [V, H], stack.inputSize == E else {
                throw fail(
                    "the head \(head.label) maps \(head.weight.dims[1]) features to \(head.weight.dims[0]); "
                        + "a character model maps the \(H) hidden units to the \(V) tokens")
            }
            guard let vocab = vocabulary ?? model.metadata["vocab"].flatMap({ CharVocabulary(json: $0) }) else {
                throw fail("has no vocabulary (metadata vocab): give one (--vocab) of \(V) characters")
            }
            guard vocab.count == V else {
                throw fail("the vocabulary has \(vocab.count) characters, the embedding \(V) rows")
            }
            var tensors = stack.tensors(prefix: "rnn.")
            tensors["embed.weight"] = entry(embedding.floats!, [V, E])
            tensors["head.weight"] = entry(head.weight.floats!, [V, H])
            tensors["head.bias"] = entry(head.bias, [V])
            let metadata = [
                "format": CharLanguageModel.format, "cell": stack.cell, "embed": String(E), "hidden": String(H),
                "layers": String(stack.count), "dropout": "0", "vocab": vocab.json,
            ]
            return ImportedModel(kind: .charModel, file: SafeTensors.File(tensors: tensors, metadata: metadata))
        }
        guard finalState else {
            throw fail(
                "a series input needs the head over the last layer's final state (a classifier); "
                    + "\(head.label) reads something else")
        }
        let K = head.weight.dims[0], C = stack.inputSize
        guard head.weight.dims[1] == D * H else {
            throw fail("the head \(head.label) takes \(head.weight.dims[1]) features; the final state has \(D * H)")
        }
        let names =
            classNames
            ?? model.metadata["class_names"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
            ?? (0..<K).map(String.init)
        guard names.count == K, Set(names).count == K else {
            throw fail("\(names.count) distinct class names are given for \(K) classes")
        }
        var tensors = stack.tensors(prefix: "rnn.")
        tensors["head.weight"] = entry(head.weight.floats!, [K, D * H])
        tensors["head.bias"] = entry(head.bias, [K])
        let metadata = [
            "format": Classifier.format, "model": stack.cell, "channels": String(C),
            "subsample": String(input.subsample),
            "hidden": String(H), "layers": String(stack.count), "bidirectional": String(D == 2),
            "class_names": String(decoding: (try? JSONEncoder().encode(names)) ?? Data("[]".utf8), as: UTF8.self),
            "channel_mean": (input.mean ?? Array(repeating: 0, count: C)).map { String($0) }.joined(separator: ","),
            "channel_std": (input.std ?? Array(repeating: 1, count: C)).map { String($0) }.joined(separator: ","),
        ]
        return ImportedModel(kind: .classifier, file: SafeTensors.File(tensors: tensors, metadata: metadata))
    }

    func nonZero(_ a: DecodedModel.Attribute) -> Int64? { if case .int(let v) = a, v != 0 { v } else { nil } }

    /// The nodes `value` is computed by, all the way back.
    func producers(of value: String) -> Set<Int> {
        var found: Set<Int> = [], stack = [value]
        while let v = stack.popLast() {
            guard let k = producer[v], found.insert(k).inserted else { continue }
            stack += model.nodes[k].inputs.filter { !$0.isEmpty }
        }
        return found
    }
}

/// What feeds the first recurrent layer: an embedding of token ids, or a graph input of series,
/// standardised per channel (x - mean) * (1 / std) and read every k-th step where the graph says so.
struct SeriesInput {
    var embedding: DecodedModel.Tensor?
    var mean: [Float]?, std: [Float]?
    var subsample = 1
    /// The Slice, Sub and Mul nodes read as subsampling and standardisation.
    var nodes: Set<Int> = []

    init(_ value: String, reader: GraphReader) throws(ImportError) {
        let model = reader.model
        let passThrough: Set<String> = ["Squeeze", "Unsqueeze", "Transpose", "Identity", "Reshape"]
        var v = value
        for _ in 0...model.nodes.count {
            guard let k = reader.producer[v] else { break }
            let node = model.nodes[k]
            func integers(_ i: Int) -> [Int64]? {
                node.inputs.count > i ? model.constants[node.inputs[i]]?.integers : nil
            }
            func floats(_ name: String) -> [Float]? {
                model.constants[name].flatMap { $0.dims.count == 1 ? $0.floats : nil }
            }
            switch node.opType {
            case _ where passThrough.contains(node.opType): v = node.inputs.first ?? ""
            case "Gather" where node.inputs.count == 2 && embedding == nil && mean == nil && subsample == 1:
                guard case .none = node.attributes["axis"].flatMap(reader.nonZero) else { fallthrough }
                embedding = try reader.constant(node.inputs[0], rank: 2, of: node)
                return
            case "Slice" where integers(3) == [1] && integers(1) == [0] && (integers(4)?.count ?? 0) == 1:
                subsample = Int(clamping: integers(4)![0])
                guard subsample >= 1, subsample <= 1 << 20 else { fallthrough }
                nodes.insert(k)
                v = node.inputs[0]
            case "Mul" where node.inputs.count == 2 && std == nil:
                // (x - mean) * inverse, the standardisation seqtool writes
                guard let inverse = floats(node.inputs[1]), let sub = reader.producer[node.inputs[0]],
                    model.nodes[sub].opType == "Sub", model.nodes[sub].inputs.count == 2,
                    let centre = floats(model.nodes[sub].inputs[1]), centre.count == inverse.count,
                    inverse.allSatisfy({ $0.isFinite && $0 != 0 })
                else { fallthrough }
                (mean, std) = (centre, inverse.map { 1 / $0 })
                if let stored = model.metadata["channel_std"]?.split(separator: ",").compactMap({ Float($0) }),
                    stored.count == inverse.count, zip(stored, inverse).allSatisfy({ 1 / $0.0 == $0.1 })
                {
                    std = stored  // the deviations exactly as the model file held them
                }
                nodes.formUnion([k, sub])
                v = model.nodes[sub].inputs[0]
            default:
                throw reader.fail(
                    "node \(node.label) feeds the first recurrent layer; seqtool reads an embedding or the series")
            }
        }
        guard model.inputs.contains(v) else {
            throw reader.fail("the first recurrent layer reads \(v), which is neither a graph input nor an embedding")
        }
    }
}

/// A safetensors float32 entry.
func entry(_ values: [Float], _ shape: [Int]) -> SafeTensors.Entry {
    SafeTensors.Entry(Tensor(values, shape: shape))
}

/// The recurrent nodes of a graph as one seqtool stack: one cell, size and direction for all.
struct RecurrentLayers {
    let cell: String, hidden: Int, directions: Int, inputSize: Int, count: Int
    private var weights: [(w: [Float], r: [Float], b: [Float]?, inputSize: Int)] = []
    private let gateOrder: [Int]

    init(_ nodes: [DecodedModel.Node], reader: GraphReader) throws(ImportError) {
        let first = nodes[0]
        func string(_ a: DecodedModel.Attribute?) -> String? { if case .string(let s)? = a { s } else { nil } }
        func int(_ a: DecodedModel.Attribute?) -> Int64? { if case .int(let v)? = a { v } else { nil } }
        func strings(_ a: DecodedModel.Attribute?) -> [String]? { if case .strings(let s)? = a { s } else { nil } }
        guard let H = int(first.attributes["hidden_size"]), H > 0, H <= 1 << 16 else {
            throw reader.fail("node \(first.label) has no hidden_size in 1...65536")
        }
        let direction = string(first.attributes["direction"]) ?? "forward"
        guard direction == "forward" || direction == "bidirectional" else {
            throw reader.fail("node \(first.label) runs \(direction); seqtool's layers run forward or both ways")
        }
        let D = direction == "bidirectional" ? 2 : 1
        var cell: String
        switch first.opType {
        case "LSTM": cell = "lstm"
        case "GRU": cell = int(first.attributes["linear_before_reset"]) == 1 ? "gru" : "gru_reset_before"
        default:
            let activations = strings(first.attributes["activations"]) ?? ["Tanh"]
            cell = activations.allSatisfy { $0 == "Relu" } ? "rnn_relu" : "rnn_tanh"
        }
        let defaults = ["LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]][first.opType]!
        for node in nodes {
            let sameCell =
                node.opType == first.opType && int(node.attributes["hidden_size"]) == H
                && (string(node.attributes["direction"]) ?? "forward") == direction
                && int(node.attributes["linear_before_reset"]) == int(first.attributes["linear_before_reset"])
            guard sameCell else {
                throw reader.fail("node \(node.label) differs from \(first.label) in its cell, size or direction")
            }
            if node.attributes["clip"] != nil || (int(node.attributes["input_forget"]) ?? 0) != 0
                || (int(node.attributes["layout"]) ?? 0) != 0
            {
                throw reader.fail(
                    "node \(node.label) clips, couples its gates or is batch-major; seqtool's cells do not")
            }
            if let activations = strings(node.attributes["activations"]) {
                let expected =
                    cell == "rnn_relu" ? Array(repeating: "Relu", count: D) : (0..<D).flatMap { _ in defaults }
                guard activations == expected else {
                    throw reader.fail(
                        "node \(node.label) uses activations \(activations); seqtool's cells use \(expected)")
                }
            }
            if node.inputs.count > 7, !node.inputs[7].isEmpty {
                throw reader.fail("node \(node.label) has peepholes (input P); seqtool's LSTM has none")
            }
        }
        if cell == "gru_reset_before", nodes.contains(where: { int($0.attributes["linear_before_reset"]) == 1 }) {
            cell = "gru"
        }
        gateOrder = (try? RecurrentOperator(cellName: cell))?.gateOrder ?? [0]
        let G = gateOrder.count
        var inputSize = 0
        for (l, node) in nodes.enumerated() {
            guard node.inputs.count >= 3 else { throw reader.fail("node \(node.label) has no W and R") }
            let w = try reader.constant(node.inputs[1], rank: 3, of: node)
            let r = try reader.constant(node.inputs[2], rank: 3, of: node)
            let I = w.dims[2]
            guard w.dims[0] == D, w.dims[1] == G * Int(H), r.dims == [D, G * Int(H), Int(H)], I > 0,
                l == 0 || I == D * Int(H)
            else {
                throw reader.fail(
                    "node \(node.label): W \(w.dims) and R \(r.dims) do not fit \(D) direction(s) of "
                        + "\(H) units")
            }
            var b: [Float]?
            if node.inputs.count > 3, !node.inputs[3].isEmpty {
                let bias = try reader.constant(node.inputs[3], rank: 2, of: node)
                guard bias.dims == [D, 2 * G * Int(H)] else {
                    throw reader.fail("node \(node.label): B \(bias.dims) is not [\(D), \(2 * G * Int(H))]")
                }
                b = bias.floats
            }
            if l == 0 { inputSize = I }
            weights.append((w.floats!, r.floats!, b, I))
        }
        (self.cell, hidden, directions, self.inputSize, count) = (cell, Int(H), D, inputSize, nodes.count)
    }

    /// The stack's tensors under PyTorch's names, gate blocks back in PyTorch's order.
    func tensors(prefix: String) -> [String: SafeTensors.Entry] {
        let G = gateOrder.count, H = hidden
        var inverse = gateOrder
        for (k, p) in gateOrder.enumerated() { inverse[p] = k }
        var out: [String: SafeTensors.Entry] = [:]
        for (l, layer) in weights.enumerated() {
            for d in 0..<directions {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let wSize = G * H * layer.inputSize, rSize = G * H * H
                let w = Array(layer.w[(d * wSize)..<((d + 1) * wSize)])
                let r = Array(layer.r[(d * rSize)..<((d + 1) * rSize)])
                out[prefix + "weight_ih" + suffix] = entry(
                    reorderedBlocks(w, blocks: inverse, rowsPerBlock: H), [G * H, layer.inputSize])
                out[prefix + "weight_hh" + suffix] = entry(
                    reorderedBlocks(r, blocks: inverse, rowsPerBlock: H), [G * H, H])
                let b = layer.b ?? [Float](repeating: 0, count: 2 * directions * G * H)
                let start = d * 2 * G * H
                out[prefix + "bias_ih" + suffix] = entry(
                    reorderedBlocks(Array(b[start..<(start + G * H)]), blocks: inverse, rowsPerBlock: 1), [G * H])
                out[prefix + "bias_hh" + suffix] = entry(
                    reorderedBlocks(Array(b[(start + G * H)..<(start + 2 * G * H)]), blocks: inverse, rowsPerBlock: 1),
                    [G * H])
            }
        }
        return out
    }
}

/// The graph's linear head: a Gemm, or a MatMul and an Add, with constant weights, writing a
/// graph output.
struct Head {
    /// (out, in), as PyTorch's Linear holds it.
    let weight: DecodedModel.Tensor
    let bias: [Float]
    /// The value the head reads.
    let input: String
    let label: String
    /// The head's nodes (the Gemm or MatMul, and the Add of the bias).
    var nodes: Set<Int> = []

    init(reader: GraphReader) throws(ImportError) {
        let model = reader.model
        let heads = model.nodes.filter { $0.opType == "Gemm" || $0.opType == "MatMul" }
        guard heads.count == 1, let node = heads.first, node.inputs.count >= 2 else {
            throw reader.fail("has \(heads.count) Gemm or MatMul nodes; seqtool's models have one linear head")
        }
        func int(_ name: String) -> Int64 { if case .int(let v)? = node.attributes[name] { v } else { 0 } }
        func float(_ name: String) -> Float { if case .float(let v)? = node.attributes[name] { v } else { 1 } }
        let b = try reader.constant(node.inputs[1], rank: 2, of: node)
        var output = node.outputs[0]
        let transposed = node.opType == "Gemm" && int("transB") == 1
        guard node.opType == "MatMul" || (int("transA") == 0 && float("alpha") == 1 && float("beta") == 1) else {
            throw reader.fail("node \(node.label) scales or transposes its input; a linear head does not")
        }
        let (rows, columns) = transposed ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
        var w = b
        if !transposed {
            let values = b.floats!
            var t = [Float](repeating: 0, count: values.count)
            for i in 0..<columns { for o in 0..<rows { t[o * columns + i] = values[i * rows + o] } }
            (w.floats, w.dims) = (t, [rows, columns])
        }
        var bias: [Float]?
        if node.opType == "Gemm", node.inputs.count > 2, !node.inputs[2].isEmpty {
            bias = try reader.constant(node.inputs[2], rank: 1, of: node).floats
        }
        var nodes: Set<Int> = [reader.producer[output]!]
        if bias == nil,
            let k = model.nodes.indices.first(where: {
                model.nodes[$0].opType == "Add" && model.nodes[$0].inputs.contains(output)
            })
        {
            let add = model.nodes[k]
            let other = add.inputs.first { $0 != output } ?? ""
            guard let t = model.constants[other], t.floats != nil, t.dims == [rows] else {
                throw reader.fail("node \(add.label) adds something other than the head's bias")
            }
            (bias, output) = (t.floats, add.outputs[0])
            nodes.insert(k)
        }
        guard bias.map({ $0.count == rows }) ?? true else {
            throw reader.fail("node \(node.label) has a bias of another size than its \(rows) outputs")
        }
        let (_, out) = reader.source(of: output, through: [])
        guard
            model.outputs.contains(out)
                || model.nodes.contains(where: { $0.opType == "Identity" && $0.inputs == [out] })
        else {
            throw reader.fail("the head \(node.label) does not write a graph output")
        }
        (weight, self.bias, input, label) = (w, bias ?? [Float](repeating: 0, count: rows), node.inputs[0], node.label)
        self.nodes = nodes
    }
}
