import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// Encoder-decoder for sequences of different lengths (the machine-translation framing): an
/// encoder reads the source (variable lengths masked, so each sequence's final state is the
/// state after its own last token); that state starts a decoder that emits the target one token
/// at a time. Training uses teacher forcing (decoder input: <bos> + target; output: target +
/// <eos>, the loss masked past each target's end); inference decodes greedily until <eos>.
public final class Seq2Seq: Module {
    /// Token 0 starts every decoded sequence, token 1 ends it; characters follow.
    public static let beginToken = 0, endToken = 1

    /// The cell of the encoder and the decoder.
    public let cell: CellKind
    /// The characters of both sides; token k + 2 is `characters[k]`.
    public let characters: [Unicode.Scalar]
    /// Embedding size (E), hidden units (H) and stacked layers (L) of each side.
    public let embedding: Int, hidden: Int, layers: Int
    /// The two embeddings (V, E).
    public let encoderEmbed: Embedding, decoderEmbed: Embedding
    /// The encoder and the decoder (E -> H, L layers each).
    public let encoder: any RecurrentStack, decoder: any RecurrentStack
    /// The decoder's output to token logits (H -> V).
    public let head: Linear
    let index: [Unicode.Scalar: Int]

    /// A fresh model over `characters`, drawn from `random`.
    public init(
        cell: CellKind, characters: [Unicode.Scalar], embedding: Int, hidden: Int, layers: Int, random: RandomSource
    ) {
        self.cell = cell
        self.characters = characters
        self.embedding = embedding
        self.hidden = hidden
        self.layers = layers
        index = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0 + 2) })
        let V = characters.count + 2
        encoderEmbed = Embedding(count: V, dimension: embedding, random: random)
        decoderEmbed = Embedding(count: V, dimension: embedding, random: random)
        encoder = cell.makeLayer(inputSize: embedding, hiddenSize: hidden, numLayers: layers, random: random)
        decoder = cell.makeLayer(inputSize: embedding, hiddenSize: hidden, numLayers: layers, random: random)
        head = Linear(inFeatures: hidden, outFeatures: V, random: random)
    }

    /// V: the characters and the two special tokens.
    public var vocabularySize: Int { characters.count + 2 }

    public var children: [(String, any Module)] {
        [
            ("encoder_embed", encoderEmbed), ("encoder", encoder), ("decoder_embed", decoderEmbed),
            ("decoder", decoder), ("head", head),
        ]
    }

    /// Token ids of `text`, or an error naming the first unknown character.
    public func encode(_ text: String, source: String) throws -> [Int] {
        try text.unicodeScalars.map { c in
            guard let i = index[c] else {
                throw DataError(file: source, problem: "character '\(c)' is not in the model's vocabulary")
            }
            return i
        }
    }

    /// The string of token `ids` (special tokens skipped).
    public func decode(_ ids: [Int]) -> String {
        String(String.UnicodeScalarView(ids.filter { $0 >= 2 }.map { characters[$0 - 2] }))
    }

    /// Pads token lists into a time-major (T, B) batch with their lengths.
    static func pad(_ sequences: [[Int]]) -> (ids: [Int], steps: Int, lengths: [Int]) {
        let T = sequences.map(\.count).max() ?? 0, B = sequences.count
        var ids = [Int](repeating: endToken, count: T * B)
        for (b, s) in sequences.enumerated() { for (t, v) in s.enumerated() { ids[t * B + b] = v } }
        return (ids, T, sequences.map(\.count))
    }

    func encodeState(_ sources: [[Int]]) -> RecurrentState {
        let (ids, T, lengths) = Self.pad(sources)
        let x = encoderEmbed(indices: ids, shape: [T, sources.count])
        return encoder(x, state: nil, lengths: lengths).state
    }

    /// Mean cross-entropy per target token (with <eos>), teacher forced.
    public func loss(sources: [[Int]], targets: [[Int]]) -> Variable {
        let B = sources.count
        let state = encodeState(sources)
        let (inputs, T, lengths) = Self.pad(targets.map { [Self.beginToken] + $0 })
        let (outputs, _, _) = Self.pad(targets.map { $0 + [Self.endToken] })
        var mask = [Float](repeating: 0, count: T * B)
        for b in 0..<B { for t in 0..<lengths[b] { mask[t * B + b] = 1 } }
        let y = decoder(decoderEmbed(indices: inputs, shape: [T, B]), state: state, lengths: lengths).output
        let logits = head(y.reshaped([T * B, hidden]))
        return crossEntropy(logits: logits, targets: outputs, mask: mask)
    }

    /// Greedy decoding of a batch of sources, at most `maxLength` tokens each.
    public func greedy(_ sources: [[Int]], maxLength: Int) -> [[Int]] {
        let B = sources.count
        return inferenceMode {
            var state = encodeState(sources)
            var current = [Int](repeating: Self.beginToken, count: B)
            var outputs = [[Int]](repeating: [], count: B)
            var finished = [Bool](repeating: false, count: B)
            for _ in 0..<maxLength where finished.contains(false) {
                let (y, next) = decoder(decoderEmbed(indices: current, shape: [1, B]), state: state)
                state = next
                let best = head(y.reshaped([B, hidden])).value.argmax()
                for b in 0..<B {
                    current[b] = best[b]
                    if finished[b] { continue }
                    if best[b] == Self.endToken { finished[b] = true } else { outputs[b].append(best[b]) }
                }
            }
            return outputs
        }
    }

    /// The `format` of the model file's metadata.
    public static let format = "seqtool.seq2seq.v1"

    /// Writes the model with its sizes and characters in the metadata (and `extra`).
    public func save(to path: String, extra: [String: String] = [:]) throws {
        var m = extra
        m["format"] = Self.format
        m["cell"] = cell.name
        m["embed"] = String(embedding)
        m["hidden"] = String(hidden)
        m["layers"] = String(layers)
        m["vocab"] = CharVocabulary(characters: characters).json
        try save(to: path, metadata: m)
    }

    /// Reads a model `save(to:extra:)` wrote; errors name the file and what is wrong.
    public static func load(path: String) throws -> Seq2Seq {
        let file = try SafeTensors.read(path: path)
        let m = file.metadata
        try requireFormat(m, Self.format, kind: "an encoder-decoder", path: path)
        guard let cell = m["cell"].flatMap(CellKind.init(name:)), let e = m["embed"].flatMap(Int.init),
            let h = m["hidden"].flatMap(Int.init),
            let l = m["layers"].flatMap(Int.init), e > 0, h > 0, l > 0, max(e, h, l) <= 1 << 24,
            let vocab = m["vocab"].flatMap(CharVocabulary.init(json:))
        else {
            throw DataError(file: path, problem: "metadata cell/embed/hidden/layers/vocab are missing or malformed")
        }
        let V = vocab.count + 2
        let rnn = cell.parameterShapes(inputSize: e, hiddenSize: h, numLayers: l)
        try ModelFile.check(
            [
                ("encoder_embed.weight", [V, e]), ("decoder_embed.weight", [V, e]), ("head.weight", [V, h]),
                ("head.bias", [V]),
            ]
                + rnn.map { ("encoder." + $0.0, $0.1) } + rnn.map { ("decoder." + $0.0, $0.1) }, in: file, path: path)
        let model = Seq2Seq(
            cell: cell, characters: vocab.characters, embedding: e, hidden: h, layers: l, random: RandomSource(seed: 0))
        try model.load(file, path: path)
        return model
    }
}
