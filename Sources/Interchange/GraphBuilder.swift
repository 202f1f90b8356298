import SeqTensor

/// Builds an `ONNX.Graph` node by node: unique names for intermediate values and nodes, weights
/// as initializers, small integer constants (axes, shapes) shared by value.
final class GraphBuilder {
    private(set) var graph: ONNX.Graph
    private var used: Set<String> = []
    private var constants: [[Int64]: String] = [:]

    /// An empty graph named `name` that computes `docString`.
    init(name: String, docString: String) {
        graph = ONNX.Graph(name: name)
        graph.docString = docString
    }

    /// `base`, or `base_1`, `base_2`, ... if taken.
    private func unique(_ base: String) -> String {
        var name = base, k = 0
        while used.contains(name) {
            k += 1
            name = "\(base)_\(k)"
        }
        used.insert(name)
        return name
    }

    /// A graph input; returns its name.
    @discardableResult
    func input(_ info: ONNX.ValueInfo) -> String {
        used.insert(info.name)
        graph.inputs.append(info)
        return info.name
    }

    /// Declares `info` (whose name a node already produces) as a graph output.
    func output(_ info: ONNX.ValueInfo) { graph.outputs.append(info) }

    /// Put before the names of the weights added from now on (`members.2.`, for an ensemble's
    /// members).
    var namePrefix = ""

    /// A float initializer of shape `dims`; returns its (unique) name.
    func weight(_ name: String, _ values: [Float], _ dims: [Int], doc: String = "") -> String {
        let name = unique(namePrefix + name)
        graph.initializers.append(ONNX.TensorValue(name: name, floats: values, dims: dims, docString: doc))
        return name
    }

    /// A float initializer holding `tensor`.
    func weight(_ name: String, _ tensor: Tensor, doc: String = "") -> String {
        weight(name, tensor.scalars, tensor.shape, doc: doc)
    }

    /// A one-dimensional int64 initializer (axes, shapes, indices), shared by every node that
    /// uses the same values.
    func int64s(_ values: [Int64]) -> String {
        if let name = constants[values] { return name }
        let name = unique("const_" + values.map { $0 < 0 ? "m\(-$0)" : String($0) }.joined(separator: "_"))
        graph.initializers.append(ONNX.TensorValue(name: name, int64s: values, dims: [values.count]))
        constants[values] = name
        return name
    }

    /// A node of `op` over `inputs`; its outputs are named `outputs` where given, else `op`'s name
    /// numbered (`count` of them). Returns the output names.
    @discardableResult
    func node(
        _ op: String, _ inputs: [String], _ attributes: [ONNX.Attribute] = [], doc: String = "",
        outputs: [String]? = nil, count: Int = 1
    ) -> [String] {
        let names = outputs.map { $0.map(unique) } ?? (0..<count).map { _ in unique(op.lowercased()) }
        graph.nodes.append(
            ONNX.Node(
                op, name: unique(op + "_node"), inputs: inputs, outputs: names, attributes: attributes, docString: doc))
        return names
    }

    /// A node of `op` with one output, named `output` when given.
    func op(
        _ op: String, _ inputs: [String], _ attributes: [ONNX.Attribute] = [], doc: String = "", output: String? = nil
    ) -> String {
        node(op, inputs, attributes, doc: doc, outputs: output.map { [$0] })[0]
    }
}

extension GraphBuilder {
    /// An int64 scalar (shape []) initializer, for operators that take scalars (`Range`).
    func scalar(_ value: Int64, _ name: String) -> String {
        let name = unique(name)
        graph.initializers.append(ONNX.TensorValue(name: name, int64s: [value], dims: []))
        return name
    }

    /// `Gemm`: x (B, in) W^T + b with `prefix.weight` (out, in) and `prefix.bias` (out) of `state`.
    func linear(_ x: String, _ prefix: String, _ state: [String: Tensor], output: String? = nil) -> String {
        let weight = state[prefix + ".weight"]!
        let bias = state[prefix + ".bias"] ?? Tensor(zeros: [weight.shape[0]])
        return op(
            "Gemm", [x, self.weight(prefix + ".weight", weight), self.weight(prefix + ".bias", bias)],
            [ONNX.Attribute("transB", .int(1))], doc: "\(prefix): Linear(\(weight.shape[1]) -> \(weight.shape[0]))",
            output: output)
    }
}
