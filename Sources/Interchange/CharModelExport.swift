import Feedforward
import LanguageModel
import Recurrent
import SeqTensor

/// The two graphs of a character model.
public enum CharModelGraph: String, CaseIterable, Sendable {
    /// One step: `tokens` (int64 [B]) and the state (`h`, and `c` for an LSTM, [L, B, H]) ->
    /// `logits` ([B, V]) and the state after the step (`h_out`, `c_out`). A caller samples by
    /// feeding each drawn token and the state back.
    case step
    /// A whole sequence: `tokens` (int64 [T, B], time-major) and the initial state -> `logits`
    /// ([T, B, V]) and the final state, as `seqtool eval` runs a text.
    case sequence
}

extension CharLanguageModel {
    /// The model as an ONNX graph of `graph`'s kind: Gather (the embedding), one LSTM, GRU or RNN
    /// node per layer, Gemm or MatMul+Add (the head). Metadata `vocab` holds the vocabulary as a
    /// JSON array (index = token id), as in the model file.
    /// - Throws: `ExportError` when the cell has no ONNX operator (`layer_norm_lstm`).
    public func onnxModel(_ graph: CharModelGraph) throws(ExportError) -> ONNX.Model {
        let (H, L) = (configuration.hidden, configuration.layers)
        let b = GraphBuilder(
            name: "seqtool_charlm_\(graph.rawValue)",
            docString: graph == .step
                ? "One step of a character language model (\(rnn.cellName), \(L) layer(s) of \(H)): the next "
                    + "character's logits from the current character and the state; feed the state back."
                : "A character language model (\(rnn.cellName), \(L) layer(s) of \(H)) over a sequence: the logits "
                    + "of each next character, and the final state.")
        try emitTokenModel(
            b, embedding: embed.weight.value, embeddingName: "embed", rnn: RecurrentStackWeights(rnn), rnnName: "rnn",
            head: head, stepwise: graph == .step, tokensMeaning: "index into metadata vocab")
        return ONNX.Model(
            graph: b.graph, docString: "seqtool character language model (\(graph.rawValue) graph)", metadata: metadata)
    }
}

/// Adds a token model's inputs, nodes and outputs to `b`: `tokens` (int64 [B] when `stepwise`,
/// else [T, B]) and the state parts (h, c: [L, B, H]) -> Gather in `embedding`, the recurrent
/// stack, the linear `head` -> `logits` ([B, V] or [T, B, V]) and the state after the last step
/// (`h_out`, `c_out`).
func emitTokenModel(
    _ b: GraphBuilder, embedding: Tensor, embeddingName: String, rnn: RecurrentStackWeights, rnnName: String,
    head: Linear, stepwise: Bool, tokensMeaning: String
) throws(ExportError) {
    let (V, H, L) = (embedding.shape[0], rnn.hiddenSize, rnn.numLayers)
    let tokenShape: [ONNX.Dimension] = stepwise ? [.symbolic("batch")] : [.symbolic("steps"), .symbolic("batch")]
    let tokens = b.input(
        ONNX.ValueInfo(
            "tokens", .int64, tokenShape,
            docString: (stepwise
                ? "Token ids (batch): the current token of each sequence"
                : "Token ids (steps, batch), "
                    + "time-major") + ", ids in 0..<\(V) (\(tokensMeaning))."))
    let stateShape: [ONNX.Dimension] = [.fixed(L), .symbolic("batch"), .fixed(H)]
    let states = rnn.stateNames.map { part in
        b.input(
            ONNX.ValueInfo(
                part, .float, stateShape,
                docString: "The recurrent state \(part) (layers, batch, hidden) before "
                    + (stepwise ? "this step" : "the first step") + "; zeros to start a sequence."))
    }
    let embedded = b.op(
        "Gather", [b.weight(embeddingName + ".weight", embedding, doc: "embedding (vocabulary, embed)"), tokens],
        [ONNX.Attribute("axis", .int(0))], doc: "embedding lookup")
    let x = stepwise ? b.op("Unsqueeze", [embedded, b.int64s([0])], doc: "one time step") : embedded
    let values = try emitRecurrentStack(
        b, rnn, prefix: rnnName, input: x, sequenceLengths: nil, initialState: states, needsOutput: true)
    let headWeight = head.weight.value, headBias = head.bias?.value ?? Tensor(zeros: [V])
    if stepwise {
        let last = b.op("Squeeze", [values.output!, b.int64s([0])])
        b.node(
            "Gemm",
            [
                last, b.weight("head.weight", headWeight, doc: "head weight (vocabulary, hidden)"),
                b.weight("head.bias", headBias, doc: "head bias (vocabulary)"),
            ],
            [ONNX.Attribute("transB", .int(1))], doc: "head: logits = h W^T + b", outputs: ["logits"])
    } else {
        let transposed = b.weight(
            "head.weight_t", transposedMatrix(headWeight), [H, V], doc: "head weight transposed (hidden, vocabulary)")
        let product = b.op("MatMul", [values.output!, transposed])
        b.node(
            "Add", [product, b.weight("head.bias", headBias, doc: "head bias (vocabulary)")],
            doc: "head: logits = h W^T + b", outputs: ["logits"])
    }
    b.output(
        ONNX.ValueInfo(
            "logits", .float, stepwise ? [.symbolic("batch"), .fixed(V)] : tokenShape + [.fixed(V)],
            docString: "Unnormalised log-probabilities of the next token"
                + (stepwise ? " (batch, vocabulary)." : " after each step (steps, batch, vocabulary).")))
    emitStateOutputs(b, rnn, values.finalStates, after: stepwise ? "this step: feed it back as " : "the last step")
}

/// The graph outputs `h_out` (and `c_out`), (L, B, H): each part's final value of every layer.
func emitStateOutputs(
    _ b: GraphBuilder, _ rnn: RecurrentStackWeights, _ finalStates: [[String]], after: String, suffix: String = "_out"
) {
    let stateShape: [ONNX.Dimension] = [.fixed(rnn.numLayers), .symbolic("batch"), .fixed(rnn.hiddenSize)]
    for (p, part) in rnn.stateNames.enumerated() {
        let finals = finalStates[p]
        b.node(
            finals.count == 1 ? "Identity" : "Concat", finals,
            finals.count == 1 ? [] : [ONNX.Attribute("axis", .int(0))], outputs: [part + suffix])
        let feedBack = after.hasSuffix("as ") ? after + part + "." : after + "."
        b.output(
            ONNX.ValueInfo(
                part + suffix, .float, stateShape,
                docString: "The state \(part) (layers, batch, hidden) after \(feedBack)"))
    }
}

/// A (rows, columns) matrix as (columns, rows).
func transposedMatrix(_ t: Tensor) -> [Float] {
    let (rows, columns) = (t.shape[0], t.shape[1])
    let values = t.scalars
    var out = [Float](repeating: 0, count: values.count)
    for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = values[r * columns + c] } }
    return out
}
