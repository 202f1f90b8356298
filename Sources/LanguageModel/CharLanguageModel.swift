import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// The character-level language model of char-rnn: `Embedding(V, E) -> LSTM|GRU|RNN(E, H, L)
/// -> Linear(H, V)`, with PyTorch's module names (`embed.weight`, `rnn.weight_ih_l0`, ...,
/// `head.weight`, `head.bias`), so a saved model loads into that PyTorch module unchanged.
public final class CharLanguageModel: Module {
    /// The sizes that define a model; stored in the file's metadata.
    public struct Configuration: Equatable, Sendable {
        /// The recurrent cell.
        public var cell: CellKind
        /// Characters (V), embedding size (E), hidden units (H) and recurrent layers (L).
        public var vocabularySize: Int, embedding: Int, hidden: Int, layers: Int
        /// Dropout between the recurrent layers, in training mode.
        public var dropout: Float

        /// A configuration; `dropout` 0 unless given.
        public init(cell: CellKind, vocabularySize: Int, embedding: Int, hidden: Int, layers: Int, dropout: Float = 0) {
            self.cell = cell
            self.vocabularySize = vocabularySize
            self.embedding = embedding
            self.hidden = hidden
            self.layers = layers
            self.dropout = dropout
        }
    }

    /// The sizes.
    public let configuration: Configuration
    /// The characters; token k is `vocabulary.characters[k]`.
    public let vocabulary: CharVocabulary
    /// Token ids -> vectors (V, E).
    public let embed: Embedding
    /// The recurrent stack (E -> H, L layers).
    public let rnn: any RecurrentStack
    /// Hidden states -> next-character logits (H -> V).
    public let head: Linear
    /// The generator dropout draws from (saved in checkpoints so a resumed run draws the same masks).
    public let random: RandomSource

    /// A fresh model of `configuration` over `vocabulary`, drawn from `random`.
    public init(_ configuration: Configuration, vocabulary: CharVocabulary, random: RandomSource) {
        precondition(
            vocabulary.count == configuration.vocabularySize,
            "CharLanguageModel: vocabulary \(vocabulary.count) vs \(configuration.vocabularySize)")
        self.configuration = configuration
        self.vocabulary = vocabulary
        self.random = random
        embed = Embedding(count: configuration.vocabularySize, dimension: configuration.embedding, random: random)
        rnn = configuration.cell.makeLayer(
            inputSize: configuration.embedding, hiddenSize: configuration.hidden, numLayers: configuration.layers,
            dropout: configuration.dropout, random: random)
        head = Linear(inFeatures: configuration.hidden, outFeatures: configuration.vocabularySize, random: random)
    }

    public var children: [(String, any Module)] { [("embed", embed), ("rnn", rnn), ("head", head)] }

    /// Whether the embedding folds into the first layer's input projection (a V-row lookup table
    /// E W_ih^T + b instead of T*B projected rows; see `RecurrentInput.tokens`) for cells with
    /// fused kernels. The results are the same up to rounding; off, the model runs the two steps
    /// as written.
    public var foldsEmbedding = true

    /// Logits (T*B, V) for token ids (T*B, time-major) and the state after them.
    public func callAsFunction(_ ids: [Int], steps: Int, batch: Int, state: RecurrentState?) -> (
        logits: Variable, state: RecurrentState
    ) {
        let (y, next) =
            foldsEmbedding
            ? rnn(tokens: ids, steps: steps, batch: batch, embedding: embed.weight, state: state)
            : rnn(embed(indices: ids, shape: [steps, batch]), state: state)
        return (head(y.reshaped([steps * batch, configuration.hidden])), next)
    }

    /// Mean next-character cross-entropy (nats) of a batch, and the state after it.
    public func loss(inputs: [Int], targets: [Int], steps: Int, batch: Int, state: RecurrentState?) -> (
        loss: Variable, state: RecurrentState
    ) {
        let (logits, next) = self(inputs, steps: steps, batch: batch, state: state)
        return (crossEntropy(logits: logits, targets: targets), next)
    }
}
