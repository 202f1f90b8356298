import Feedforward
import SeqTensor

/// The state a recurrent layer starts from and ends in: h (L*D, B, H) and, for LSTM, c of the
/// same shape; the first axis is layer-major (l0 forward, l0 reverse, l1 forward, ...).
public struct RecurrentState {
    /// The hidden states (L*D, B, H).
    public var h: Variable
    /// The LSTM's cell states (L*D, B, H); nil for the other cells.
    public var c: Variable?

    /// A state of `h` and, for an LSTM, `c`.
    public init(h: Variable, c: Variable? = nil) {
        self.h = h
        self.c = c
    }

    /// The same values cut from the graph: carry them into the next batch for truncated BPTT.
    public func detached() -> RecurrentState { RecurrentState(h: h.detached(), c: c?.detached()) }
}

/// A stack of recurrent layers over sequence-first input, PyTorch's `nn.RNN`, `nn.LSTM` and
/// `nn.GRU`: `numLayers`, `bidirectional`, dropout between layers (training only), optional
/// initial state, per-sequence lengths.
///
/// input (T, B, I) -> output (T, B, D*H) and final state (L*D, B, H). Parameters are named as
/// PyTorch names them (`weight_ih_l0`, `bias_hh_l1_reverse`, ...) and initialised uniformly in
/// ±1/sqrt(H).
public class RecurrentLayer: Module {
    /// The cell's equations (LSTM, GRU, RNN with tanh or ReLU).
    public let kind: CellKind
    /// The cell's equations and kernels.
    public var cell: any CellKernels { kind.kernels }
    /// Features per step of the input (I), hidden units per layer and direction (H), stacked
    /// layers (L).
    public let inputSize: Int, hiddenSize: Int, numLayers: Int
    /// Whether each layer also runs right to left (D = 2), and whether it has b_ih and b_hh.
    public let bidirectional: Bool, hasBias: Bool
    /// Dropout on the outputs of every layer but the last, in training mode.
    public let dropoutProbability: Float
    public var isTraining = true
    let random: RandomSource
    /// Weights by layer, then direction.
    public let weights: [[RecurrentWeights]]
    public let directParameters: [(String, Parameter)]

    /// D: 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }

    /// A stack of `kind` layers.
    /// - Parameters:
    ///   - kind: the cell: LSTM, GRU, or RNN with tanh or ReLU.
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - bias: whether the layers have b_ih and b_hh.
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - forgetGateBias: LSTM only: the forget gate's starting bias (bias_ih's forget block is
    ///     set to it and bias_hh's to 0, since the gate sees their sum), e.g. 1 so that a fresh
    ///     LSTM remembers by default; random like the others when nil.
    ///   - random: the source the weights are drawn from (uniform in ±1/sqrt(H), as PyTorch does).
    public init(
        _ kind: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false,
        bias: Bool = true, dropout: Float = 0, forgetGateBias: Float? = nil, random: RandomSource
    ) {
        precondition(inputSize > 0 && hiddenSize > 0 && numLayers > 0, "RecurrentLayer: sizes must be positive")
        precondition(dropout >= 0 && dropout < 1, "RecurrentLayer: dropout \(dropout) outside [0, 1)")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.hasBias = bias
        dropoutProbability = dropout
        self.random = random
        let G = kind.gateCount, H = hiddenSize, D = bidirectional ? 2 : 1
        let bound = 1 / Float(H).squareRoot()
        var weights: [[RecurrentWeights]] = []
        var named: [(String, Parameter)] = []
        for l in 0..<numLayers {
            var layer: [RecurrentWeights] = []
            for d in 0..<D {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                func make(_ name: String, _ shape: [Int]) -> Parameter {
                    let p = Parameter(
                        Tensor(uniform: shape, low: -bound, high: bound, generator: &random.generator),
                        name: name + suffix)
                    named.append((name + suffix, p))
                    return p
                }
                let inSize = l == 0 ? inputSize : D * H
                let wih = make("weight_ih", [G * H, inSize])
                let whh = make("weight_hh", [G * H, H])
                var bih: Parameter?, bhh: Parameter?
                if bias {
                    bih = make("bias_ih", [G * H])
                    bhh = make("bias_hh", [G * H])
                    if kind == .lstm, let f = forgetGateBias {
                        let pi = bih!.value.mutablePointer, ph = bhh!.value.mutablePointer
                        for j in H..<(2 * H) {
                            pi[j] = f
                            ph[j] = 0
                        }
                    }
                }
                layer.append(RecurrentWeights(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh))
            }
            weights.append(layer)
        }
        self.weights = weights
        directParameters = named
    }

    /// The `state_dict` names and shapes of a layer with these sizes, without allocating it
    /// (loaders check a file against them before building anything).
    public static func parameterShapes(
        _ kind: CellKind, inputSize: Int, hiddenSize: Int, numLayers: Int,
        bidirectional: Bool = false, bias: Bool = true
    ) -> [(String, [Int])] {
        let G = kind.gateCount, H = hiddenSize, D = bidirectional ? 2 : 1
        var shapes: [(String, [Int])] = []
        for l in 0..<numLayers {
            for d in 0..<D {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                shapes.append(("weight_ih" + suffix, [G * H, l == 0 ? inputSize : D * H]))
                shapes.append(("weight_hh" + suffix, [G * H, H]))
                if bias {
                    shapes.append(("bias_ih" + suffix, [G * H]))
                    shapes.append(("bias_hh" + suffix, [G * H]))
                }
            }
        }
        return shapes
    }

    public var summaryName: String {
        "\(kind.rawValue.uppercased())(\(inputSize)->\(hiddenSize), "
            + "layers=\(numLayers)\(bidirectional ? ", bidirectional" : ""))"
    }

    /// A zero state for a batch of `batch` sequences.
    public func zeroState(batch: Int) -> RecurrentState {
        let shape = [numLayers * directions, batch, hiddenSize]
        return RecurrentState(
            h: Variable(Tensor(zeros: shape)), c: kind.hasCellState ? Variable(Tensor(zeros: shape)) : nil)
    }

    /// Runs the stack over input (T, B, I) from `state` (zero if nil); `lengths` (B values) for
    /// variable-length batches. Returns the last layer's output (T, B, D*H) and the final state.
    public func callAsFunction(_ input: Variable, state: RecurrentState? = nil, lengths: [Int]? = nil)
        -> (output: Variable, state: RecurrentState)
    {
        precondition(
            input.value.rank == 3 && input.shape[2] == inputSize,
            "\(summaryName): input \(input.shape) is not (T, B, \(inputSize))")
        return run(steps: input.shape[0], batch: input.shape[1], state: state, lengths: lengths) { _ in .features(input)
        }
    }

    /// The same over embedded tokens: ids (T*B, time-major) looked up in `embedding` (V, I).
    /// Equal to `self(embedding(ids), state:)`, computed as a lookup in E W_ih^T + b for the
    /// first layer (see `RecurrentInput.tokens`): V rows projected instead of T*B.
    public func callAsFunction(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable,
        state: RecurrentState?, lengths: [Int]? = nil
    ) -> (output: Variable, state: RecurrentState) {
        precondition(
            embedding.value.rank == 2 && embedding.shape[1] == inputSize,
            "\(summaryName): embedding \(embedding.shape) is not (V, \(inputSize))")
        return run(steps: steps, batch: batch, state: state, lengths: lengths) { w in
            .tokens(
                ids, steps: steps, batch: batch,
                table: linear(embedding, weight: w.weightIH, bias: w.inputBias(for: cell)))
        }
    }

    /// The stack, with the first layer's input for each direction from `firstInput`.
    private func run(
        steps T: Int, batch B: Int, state: RecurrentState?, lengths: [Int]?,
        firstInput: (RecurrentWeights) -> RecurrentInput
    ) -> (output: Variable, state: RecurrentState) {
        let H = hiddenSize, D = directions
        if let state {
            precondition(
                state.h.shape == [numLayers * D, B, H],
                "\(summaryName): h0 \(state.h.shape), expected [\(numLayers * D), \(B), \(H)]")
            precondition(
                !kind.hasCellState || state.c?.shape == state.h.shape, "\(summaryName): c0 missing or misshapen")
        }
        var x: Variable? = nil
        var finalH: [Variable] = [], finalC: [Variable] = []
        for l in 0..<numLayers {
            if let input = x, isTraining && dropoutProbability > 0 {
                x = dropout(input, probability: dropoutProbability, random: random)
            }
            var outputs: [Variable] = []
            for d in 0..<D {
                let k = l * D + d
                let h0 = state.map { $0.h.slice(k..<(k + 1)).reshaped([B, H]) }
                let c0 = state?.c.map { $0.slice(k..<(k + 1)).reshaped([B, H]) }
                let source = x.map { RecurrentInput.features($0) } ?? firstInput(weights[l][d])
                let r = cell.sequence(
                    source, weights: weights[l][d], h0: h0, c0: c0, reverse: d == 1, lengths: lengths)
                outputs.append(r.output)
                finalH.append(r.h.reshaped([1, B, H]))
                if let c = r.c { finalC.append(c.reshaped([1, B, H])) }
            }
            x = D == 1 ? outputs[0] : concatenateLastAxis(outputs)
        }
        let h = finalH.count == 1 ? finalH[0] : concatenate(finalH)
        let c: Variable? = finalC.isEmpty ? nil : (finalC.count == 1 ? finalC[0] : concatenate(finalC))
        return (x!, RecurrentState(h: h, c: c))
    }
}
