import Recurrent
import SeqTensor

/// A seqtool cell as one of ONNX's recurrent operators.
///
/// ONNX's `LSTM`, `GRU` and `RNN` hold a layer's weights as W (D, G*H, I), R (D, G*H, H) and
/// B (D, 2*G*H) = [Wb, Rb], directions forward then reverse, with the gate blocks in their own
/// order: LSTM i, o, f, c where PyTorch has i, f, g, o; GRU z, r, h where PyTorch has r, z, n.
/// PyTorch's GRU applies the reset gate to the recurrent product plus its bias,
/// r * (W_hn h + b_hn): ONNX's `linear_before_reset=1`; the original GRU
/// (`gru_reset_before`, reset before the product) is `linear_before_reset=0`.
struct RecurrentOperator {
    /// `LSTM`, `GRU` or `RNN`.
    let opType: String
    /// ONNX's gate block k is seqtool's (PyTorch's) block `gateOrder[k]`.
    let gateOrder: [Int]
    /// The attributes beside `hidden_size` and `direction`, for `directions` directions.
    let attributes: (_ directions: Int) -> [ONNX.Attribute]

    /// The operator of the cell named `cellName`, or an error saying why the cell has none.
    init(cellName: String) throws(ExportError) {
        switch cellName {
        case "lstm": (opType, gateOrder, attributes) = ("LSTM", [0, 3, 1, 2], { _ in [] })
        case "gru":
            (opType, gateOrder) = ("GRU", [1, 0, 2])
            attributes = { _ in [ONNX.Attribute("linear_before_reset", .int(1))] }
        case "gru_reset_before":
            (opType, gateOrder) = ("GRU", [1, 0, 2])
            attributes = { _ in [ONNX.Attribute("linear_before_reset", .int(0))] }
        case "rnn_tanh", "rnn_relu":
            let activation = cellName == "rnn_tanh" ? "Tanh" : "Relu"
            (opType, gateOrder) = ("RNN", [0])
            attributes = { [ONNX.Attribute("activations", .strings(Array(repeating: activation, count: $0)))] }
        case "layer_norm_lstm":
            throw ExportError(
                "cell layer_norm_lstm",
                "its layer normalisation of the gate pre-activations sits inside the recurrence, and ONNX's LSTM "
                    + "operator has no place for it (export an lstm, gru or rnn model)")
        default:
            throw ExportError(
                "cell \(cellName)",
                "it is not one of the cells ONNX has an operator for (lstm, gru, rnn_tanh, rnn_relu)")
        }
    }
}

/// A recurrent stack as an export reads it: sizes, cell and the parameters under their PyTorch
/// names within the stack (`weight_ih_l0`, `bias_hh_l1_reverse`).
struct RecurrentStackWeights {
    let cellName: String, stateNames: [String]
    let inputSize: Int, hiddenSize: Int, numLayers: Int, directions: Int
    let parameters: [String: Tensor]

    /// The stack `rnn` of a loaded model.
    init(_ rnn: any RecurrentStack) {
        (cellName, stateNames) = (rnn.cellName, rnn.stateNames)
        (inputSize, hiddenSize, numLayers, directions) = (rnn.inputSize, rnn.hiddenSize, rnn.numLayers, rnn.directions)
        parameters = Dictionary(rnn.stateDict.map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The stack of `cell` layers whose parameters are the entries of `stateDict` under `prefix` + ".".
    init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int, bidirectional: Bool,
        stateDict: [(String, Variable)], prefix: String
    ) {
        (cellName, stateNames) = (cell.name, cell.stateNames)
        (self.inputSize, self.hiddenSize, self.numLayers) = (inputSize, hiddenSize, numLayers)
        directions = bidirectional ? 2 : 1
        var parameters: [String: Tensor] = [:]
        for (name, value) in stateDict where name.hasPrefix(prefix + ".") {
            parameters[String(name.dropFirst(prefix.count + 1))] = value.value
        }
        self.parameters = parameters
    }
}

/// What `emitRecurrentStack` leaves in the graph.
struct RecurrentStackValues {
    /// The last layer's output (T, B, D*H), directions concatenated (nil when not asked for).
    var output: String?
    /// Each state part's (h, then c) final value per layer, each (D, B, H).
    var finalStates: [[String]]
}

/// Adds a seqtool recurrent stack to `b` as one ONNX recurrent node per layer.
/// - Parameters:
///   - rnn: the stack; its weights become initializers `prefix.W_l{k}`, `prefix.R_l{k}`, `prefix.B_l{k}`.
///   - input: the input (T, B, I).
///   - sequenceLengths: each sequence's steps (int32, B), or nil when all have T.
///   - initialState: each state part (L*D, B, H), or nil for zeros.
///   - needsOutput: whether the last layer's output sequence is used.
func emitRecurrentStack(
    _ b: GraphBuilder, _ rnn: RecurrentStackWeights, prefix: String, input: String, sequenceLengths: String?,
    initialState: [String]?, needsOutput: Bool
) throws(ExportError) -> RecurrentStackValues {
    let op = try RecurrentOperator(cellName: rnn.cellName)
    let (L, D, H, G) = (rnn.numLayers, rnn.directions, rnn.hiddenSize, op.gateOrder.count)
    let parameters = rnn.parameters
    let parts = rnn.stateNames.count
    // Each part's initial value for layer l: rows l*D ..< (l+1)*D of (L*D, B, H).
    let initial: [[String]]? = initialState.map { states in
        states.map { state in
            L == 1 ? [state] : b.node("Split", [state], [ONNX.Attribute("axis", .int(0))], count: L)
        }
    }
    var x = input, finalStates = Array(repeating: [String](), count: parts)
    var output: String?
    for l in 0..<L {
        func stacked(_ kind: String) throws(ExportError) -> [Float] {
            var values: [Float] = []
            for d in 0..<D {
                let name = "\(kind)_l\(l)" + (d == 1 ? "_reverse" : "")
                guard let t = parameters[name] else {
                    throw ExportError("\(prefix).\(name)", "the recurrent layer has no such parameter")
                }
                values += reorderedBlocks(t.scalars, blocks: op.gateOrder, rowsPerBlock: H)
            }
            return values
        }
        let inputSize = l == 0 ? rnn.inputSize : D * H
        let w = b.weight(
            "\(prefix).W_l\(l)", try stacked("weight_ih"), [D, G * H, inputSize],
            doc: "layer \(l) input weights W (directions, gates*hidden, input), ONNX gate order")
        let r = b.weight(
            "\(prefix).R_l\(l)", try stacked("weight_hh"), [D, G * H, H],
            doc: "layer \(l) recurrent weights R (directions, gates*hidden, hidden), ONNX gate order")
        var bias = ""
        if parameters["bias_ih_l\(l)"] != nil {
            let ih = try stacked("bias_ih"), hh = try stacked("bias_hh")
            var values: [Float] = []
            let size = G * H
            for d in 0..<D {
                values.append(contentsOf: ih[(d * size)..<((d + 1) * size)])
                values.append(contentsOf: hh[(d * size)..<((d + 1) * size)])
            }
            bias = b.weight(
                "\(prefix).B_l\(l)", values, [D, 2 * G * H],
                doc: "layer \(l) biases [Wb, Rb] (directions, 2*gates*hidden), ONNX gate order")
        }
        var inputs = [x, w, r, bias, sequenceLengths ?? ""]
        inputs += (0..<parts).map { initial?[$0][l] ?? "" }
        let last = l == L - 1
        let outputs = b.node(
            op.opType, inputs,
            [
                ONNX.Attribute("hidden_size", .int(H)),
                ONNX.Attribute("direction", .string(D == 2 ? "bidirectional" : "forward")),
            ] + op.attributes(D),
            doc: "\(prefix) layer \(l): \(rnn.cellName), \(D == 2 ? "bidirectional" : "forward"), hidden \(H)",
            count: 1 + parts)
        for p in 0..<parts { finalStates[p].append(outputs[1 + p]) }
        if last && !needsOutput { break }
        // Y (T, D, B, H) -> (T, B, D*H), the next layer's input.
        let y = outputs[0]
        x =
            D == 1
            ? b.op("Squeeze", [y, b.int64s([1])])
            : b.op(
                "Reshape",
                [b.op("Transpose", [y], [ONNX.Attribute("perm", .ints([0, 2, 1, 3]))]), b.int64s([0, 0, -1])])
        if last { output = x }
    }
    return RecurrentStackValues(output: output, finalStates: finalStates)
}

/// `values` (blocks of `rowsPerBlock` rows each, row-major) with its row blocks in the order
/// `blocks` lists them.
func reorderedBlocks(_ values: [Float], blocks: [Int], rowsPerBlock: Int) -> [Float] {
    let blockSize = values.count / blocks.count
    precondition(blockSize * blocks.count == values.count && blockSize % rowsPerBlock == 0, "reorderedBlocks")
    return blocks.flatMap { values[($0 * blockSize)..<(($0 + 1) * blockSize)] }
}
