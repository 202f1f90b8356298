import Feedforward
import SeqTensor

/// A stack of vanilla (Elman) RNN layers, PyTorch's `nn.RNN`: input (T, B, I) (batch-first
/// (B, T, I)) -> output (T, B, D*H) and final state h (L*D, B, H). See `RecurrentLayer`.
public typealias RNN = RecurrentLayer<RNNCell>

extension RecurrentLayer where Cell == RNNCell {
    /// `nn.RNN(inputSize, hiddenSize, numLayers, nonlinearity, bias, batch_first, dropout,
    /// bidirectional)`.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - nonlinearity: tanh or relu.
    ///   - bias: whether the layers have b_ih and b_hh.
    ///   - batchFirst: input and output (B, T, features) instead of (T, B, features).
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - random: the source the weights are drawn from (uniform in ±1/sqrt(H), as PyTorch does).
    public convenience init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: RNNKernels.Nonlinearity = .tanh,
        bias: Bool = true, batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false,
        random: RandomSource
    ) {
        self.init(
            inputSize: inputSize, numLayers: numLayers, batchFirst: batchFirst, dropout: dropout,
            bidirectional: bidirectional, random: random
        ) { inputSize, random in
            RNNCell(
                inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, nonlinearity: nonlinearity, random: random)
        }
    }
}

extension CellKind {
    /// The vanilla RNN with tanh (`RNNCell`).
    public static let rnnTanh = CellKind { RNNCell($0, nonlinearity: .tanh, random: $1) }
    /// The vanilla RNN with ReLU (`RNNCell`).
    public static let rnnRelu = CellKind { RNNCell($0, nonlinearity: .relu, random: $1) }
}

/// One step of the vanilla RNN, PyTorch's `nn.RNNCell`: input (B, I) and state h (B, H) -> the
/// next h, with parameters `weight_ih` (H, I), `weight_hh` (H, H), `bias_ih` and `bias_hh` (H).
/// Its step is the equation of `RNNKernels` in autodiff operations; a layer of it runs the fused
/// kernels.
public final class RNNCell: GatedCell {
    public typealias State = HiddenState
    public static var gateCount: Int { 1 }
    /// The activation: tanh or ReLU.
    public let nonlinearity: RNNKernels.Nonlinearity
    /// W_ih, W_hh and the biases.
    public let weights: RecurrentWeights

    /// `nn.RNNCell(inputSize, hiddenSize, bias, nonlinearity)`, drawn from `random` (uniform in
    /// ±1/sqrt(H)).
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RNNKernels.Nonlinearity = .tanh,
        random: RandomSource
    ) {
        self.nonlinearity = nonlinearity
        weights = RecurrentWeights(
            gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, random: random)
    }

    /// The cell of `options` with `nonlinearity`.
    public convenience init(_ options: CellOptions, nonlinearity: RNNKernels.Nonlinearity, random: RandomSource) {
        self.init(
            inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias,
            nonlinearity: nonlinearity, random: random)
    }

    public var name: String { "rnn_\(nonlinearity.rawValue)" }
    public var fusedKernels: FusedKernels? { FusedKernels(RNNKernels(nonlinearity: nonlinearity), weights: weights) }

    public func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState {
        let (input, recurrent) = weights.gateBlock(0, of: 1, x: x, h: state.h)
        let pre = input + recurrent
        return HiddenState(h: nonlinearity == .tanh ? pre.tanh() : pre.relu())
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
