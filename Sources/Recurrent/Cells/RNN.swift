import SeqTensor

/// A stack of vanilla (Elman) RNN layers over sequence-first input, PyTorch's `nn.RNN`: input
/// (T, B, I) -> output (T, B, D*H) and final state h (L*D, B, H). See `RecurrentLayer`.
public final class RNN: RecurrentLayer {
    /// `nn.RNN(inputSize, hiddenSize, numLayers, nonlinearity, bias, dropout=dropout,
    /// bidirectional=bidirectional)`.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - nonlinearity: tanh or relu.
    ///   - bias: whether the layers have b_ih and b_hh.
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - random: the source the weights are drawn from (uniform in ±1/sqrt(H), as PyTorch does).
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: RNNKernels.Nonlinearity = .tanh,
        bias: Bool = true, dropout: Float = 0, bidirectional: Bool = false, random: RandomSource
    ) {
        super.init(
            nonlinearity == .tanh ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize,
            numLayers: numLayers, bidirectional: bidirectional, bias: bias, dropout: dropout, random: random)
    }
}

/// The vanilla RNN cell:
///
///     h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
///
/// Backward from the saved output: dpre = dh' act'(pre), with tanh' = 1 - h'^2 and relu' = [h' > 0].
/// With AVX2 or AVX-512 the tanh of `CKernels` runs (`VectorMath.tanh(_:into:count:)`, bit-identical).
public struct RNNKernels: CellKernels {
    /// PyTorch's `nonlinearity` argument.
    public enum Nonlinearity: String, Sendable {
        case tanh
        case relu
    }

    /// The activation of the new state.
    public let nonlinearity: Nonlinearity

    /// The cell with `nonlinearity`.
    public init(nonlinearity: Nonlinearity) { self.nonlinearity = nonlinearity }

    public var gateCount: Int { 1 }
    public var hasCellState: Bool { false }
    public var keepsRecurrentProjection: Bool { false }

    public func referenceStep(_ x: Variable, state: RecurrentState, weights: RecurrentWeights) -> RecurrentState {
        let (input, recurrent) = weights.gateBlock(0, of: 1, x: x, h: state.h)
        let pre = input + recurrent
        return RecurrentState(h: nonlinearity == .tanh ? pre.tanh() : pre.relu())
    }

    public func forward(_ step: CellStep) {
        step.recurrentWeights.multiply(m: step.rows, step.hPrev, beta: 1, step.gates, threads: step.threads)
        activate(step.gates, step.h, count: step.rows * step.hidden)
    }

    public func backward(_ step: CellGradientStep) {
        let h = step.h, dh = step.dh, dPre = step.dGates
        let relu = nonlinearity == .relu
        for k in 0..<(step.rows * step.hidden) {
            dPre[k] = relu ? (h[k] > 0 ? dh[k] : 0) : dh[k] * (1 - h[k] * h[k])
        }
    }

    public func infer(_ step: CellInferenceStep) {
        let n = step.units
        for j in 0..<n { step.gates[j] = step.input[j] + step.recurrent[j] }
        activate(step.gates, step.h, count: n)
    }

    /// h = act(pre) over `count` floats.
    private func activate(_ pre: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, count: Int) {
        if nonlinearity == .relu {
            for k in 0..<count { h[k] = max(pre[k], 0) }
        } else {
            VectorMath.tanh(pre, into: h, count: count)
        }
    }
}
