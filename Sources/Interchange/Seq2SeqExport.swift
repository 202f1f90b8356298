import Feedforward
import Framings
import Recurrent
import SeqTensor

/// The two graphs of an encoder-decoder: a caller encodes the source once, then decodes token by
/// token (greedy: argmax, fed back) from `<bos>` (token 0) until `<eos>` (token 1).
public enum Seq2SeqGraph: String, CaseIterable, Sendable {
    /// `tokens` (int64 [T, B], the source ids, time-major) and `lengths` (int64 [B]) -> the
    /// encoder's final state `h` (and `c` for an LSTM), [L, B, H], each sequence's after its own
    /// last token.
    case encoder
    /// One decoder step: `tokens` (int64 [B]) and the state (`h`, `c`) -> `logits` ([B, V]) and
    /// `h_out` (`c_out`); the first step's state is the encoder's.
    case decoder
}

extension Seq2Seq {
    /// The encoder or the decoder step as an ONNX graph; metadata `vocab` holds the characters
    /// (token k + 2 is character k; 0 is `<bos>`, 1 `<eos>`).
    /// - Throws: `ExportError` when the cell has no ONNX operator.
    public func onnxModel(_ graph: Seq2SeqGraph) throws(ExportError) -> ONNX.Model {
        let meaning = "0 <bos>, 1 <eos>, k + 2 the k-th character of metadata vocab"
        let b = GraphBuilder(
            name: "seqtool_seq2seq_\(graph.rawValue)",
            docString: graph == .encoder
                ? "The encoder of an encoder-decoder (\(cell.name), \(layers) layer(s) of \(hidden)): the state that "
                    + "starts the decoder."
                : "One step of the decoder of an encoder-decoder: the next token's logits and the state.")
        switch graph {
        case .decoder:
            try emitTokenModel(
                b, embedding: decoderEmbed.weight.value, embeddingName: "decoder_embed",
                rnn: RecurrentStackWeights(decoder), rnnName: "decoder", head: head, stepwise: true,
                tokensMeaning: meaning)
        case .encoder:
            let rnn = RecurrentStackWeights(encoder)
            let tokens = b.input(
                ONNX.ValueInfo(
                    "tokens", .int64, [.symbolic("steps"), .symbolic("batch")],
                    docString: "Source token ids (steps, batch), time-major (\(meaning)); after lengths[b] "
                        + "steps, padding."))
            let lengths = b.input(
                ONNX.ValueInfo(
                    "lengths", .int64, [.symbolic("batch")],
                    docString: "Each source's own tokens (batch), in 1...steps."
                ))
            let embedded = b.op(
                "Gather",
                [
                    b.weight("encoder_embed.weight", encoderEmbed.weight.value, doc: "embedding (vocabulary, embed)"),
                    tokens,
                ],
                [ONNX.Attribute("axis", .int(0))], doc: "embedding lookup")
            let sequenceLengths = b.op(
                "Cast", [lengths], [ONNX.Attribute("to", .int(ONNX.ElementType.int32.rawValue))])
            let values = try emitRecurrentStack(
                b, rnn, prefix: "encoder", input: embedded, sequenceLengths: sequenceLengths, initialState: nil,
                needsOutput: false)
            emitStateOutputs(
                b, rnn, values.finalStates, after: "each source's last token: the decoder's first state", suffix: "")
        }
        return ONNX.Model(
            graph: b.graph, docString: "seqtool encoder-decoder (\(graph.rawValue) graph)", metadata: metadata)
    }

    /// seqtool's outputs of `graph` for `sources` (token ids, each at least one; padded with
    /// `<eos>` as seqtool pads) for the encoder, or for one decoder step from tokens
    /// `sources.map(\.first!)` and a random state drawn from `generator`.
    public func referenceRun(_ graph: Seq2SeqGraph, sources: [[Int]], generator: inout SeededGenerator)
        -> ReferenceRun
    {
        let B = sources.count, L = layers, H = hidden
        return inferenceMode {
            switch graph {
            case .encoder:
                let T = sources.map(\.count).max() ?? 0
                var ids = [Int](repeating: Self.endToken, count: T * B)
                for (b, s) in sources.enumerated() { for (t, v) in s.enumerated() { ids[t * B + b] = v } }
                let state = encoder(
                    encoderEmbed(indices: ids, shape: [T, B]), state: nil, lengths: sources.map(\.count)
                ).state
                return ReferenceRun(
                    graph: graph.rawValue,
                    inputs: [
                        ReferenceRun.Value("tokens", shape: [T, B], integers: ids.map(Int64.init)),
                        ReferenceRun.Value("lengths", shape: [B], integers: sources.map { Int64($0.count) }),
                    ],
                    outputs: encoder.stateNames.enumerated().map { p, name in
                        ReferenceRun.Value(name, shape: [L, B, H], floats: state.parts[p].value.scalars)
                    })
            case .decoder:
                let tokens = sources.map { $0[0] }
                let parts = decoder.stateNames.map { _ in
                    Tensor(uniform: [L, B, H], low: -1, high: 1, generator: &generator)
                }
                let (y, state) = decoder(
                    decoderEmbed(indices: tokens, shape: [1, B]),
                    state: RecurrentState(parts: parts.map { Variable($0) }))
                let logits = head(y.reshaped([B, H])).value
                var inputs = [ReferenceRun.Value("tokens", shape: [B], integers: tokens.map(Int64.init))]
                var outputs = [ReferenceRun.Value("logits", shape: [B, vocabularySize], floats: logits.scalars)]
                for (p, name) in decoder.stateNames.enumerated() {
                    inputs.append(ReferenceRun.Value(name, shape: [L, B, H], floats: parts[p].scalars))
                    outputs.append(
                        ReferenceRun.Value(name + "_out", shape: [L, B, H], floats: state.parts[p].value.scalars))
                }
                return ReferenceRun(graph: graph.rawValue, inputs: inputs, outputs: outputs)
            }
        }
    }
}
