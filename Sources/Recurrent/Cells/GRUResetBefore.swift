import Feedforward
import SeqTensor

extension CellKind {
    /// The GRU with the reset gate before the recurrent product (`GRUResetBeforeCell`).
    public static let gruResetBefore = CellKind { GRUResetBeforeCell($0, random: $1) }
}

/// One step of the GRU in its original form (Cho et al. 2014, arXiv 1406.1078v3; Keras's
/// `GRU(reset_after=False)`): the reset gate multiplies the state before the recurrent product of
/// the candidate, where PyTorch's GRU multiplies the product.
///
///     r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      reset gate
///     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)      update gate
///     n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)   candidate
///     h' = (1 - z) * n + z * h
///
/// input (B, I) and state h (B, H) -> the next h. Parameters as PyTorch's `nn.GRUCell`:
/// `weight_ih` (3H, I), `weight_hh` (3H, H), `bias_ih` and `bias_hh` (3H), blocks r, z, n; here
/// b_ih and b_hh only add, as an LSTM's do. A Keras layer's weights map onto them block by block:
/// `kernel` (I, 3H) and `recurrent_kernel` (H, 3H) with blocks z, r, h become `weight_ih` and
/// `weight_hh` transposed with the first two blocks swapped, and `bias` (3H) becomes `bias_ih`
/// (blocks swapped the same way), with `bias_hh` zero.
///
/// It has no fused kernels: a layer of it unrolls this step in autodiff operations.
public final class GRUResetBeforeCell: GatedCell {
    public typealias State = HiddenState
    public static var gateCount: Int { 3 }
    /// W_ih, W_hh and the biases, in the layout of PyTorch's GRU.
    public let weights: RecurrentWeights

    /// A cell from `inputSize` to `hiddenSize` (with b_ih and b_hh when `bias`), drawn from
    /// `random` as PyTorch draws a GRU's weights (uniform in ±1/sqrt(H)).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, random: RandomSource) {
        weights = RecurrentWeights(
            gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, random: random)
    }

    /// The cell of `options` (it has no forget gate: `forgetGateBias` does not apply).
    public convenience init(_ options: CellOptions, random: RandomSource) {
        self.init(inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias, random: random)
    }

    public var name: String { "gru_reset_before" }

    public func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState {
        let h = state.h
        let (xr, hr) = weights.gateBlock(0, of: 3, x: x, h: h)
        let (xz, hz) = weights.gateBlock(1, of: 3, x: x, h: h)
        let r = (xr + hr).sigmoid(), z = (xz + hz).sigmoid()
        let (xn, recurrentWeight, recurrentBias) = weights.gateBlockParts(2, of: 3, x: x)
        let n = (xn + linear(r * h, weight: recurrentWeight, bias: recurrentBias)).tanh()
        return HiddenState(h: n + z * (h - n))  // (1 - z) n + z h
    }
}
