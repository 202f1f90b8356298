import Feedforward
import SeqTensor

/// One step of a recurrent cell, PyTorch's `nn.RNNCell`, `nn.LSTMCell`, `nn.GRUCell`: pure
/// (input, state) -> state, with parameters `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
///
/// input (B, I), state h (B, H) and c (B, H) for LSTM. It runs the same fused kernels as the
/// sequence layers (a sequence of length 1).
public final class RecurrentCell: Module {
    /// The cell's equations.
    public let kind: CellKind
    /// The sizes of x (I) and of h (H).
    public let inputSize: Int, hiddenSize: Int
    /// W_ih (G*H, I), W_hh (G*H, H) and the biases.
    public let weights: RecurrentWeights
    public let directParameters: [(String, Parameter)]
    public var isTraining = true

    /// A cell of `kind` from `inputSize` to `hiddenSize` (with b_ih and b_hh when `bias`), drawn
    /// from `random` as the layers are; `forgetGateBias` as in `RecurrentLayer`.
    public init(
        _ kind: CellKind, inputSize: Int, hiddenSize: Int, bias: Bool = true,
        forgetGateBias: Float? = nil, random: RandomSource
    ) {
        let layer = RecurrentLayer(
            kind, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias,
            forgetGateBias: forgetGateBias, random: random)
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weights = layer.weights[0][0]
        directParameters = layer.namedParameters.map { (String($0.0.dropLast(3)), $0.1) }  // drop "_l0"
        for (name, p) in directParameters { p.name = name }
    }

    /// The next state from `input` (B, I) and `state` (zero when nil).
    public func callAsFunction(_ input: Variable, state: (h: Variable, c: Variable?)?) -> (h: Variable, c: Variable?) {
        precondition(
            input.value.rank == 2 && input.shape[1] == inputSize,
            "\(kind.rawValue) cell: input \(input.shape) is not (B, \(inputSize))")
        let B = input.shape[0]
        let r = recurrentSequence(
            kind, input: input.reshaped([1, B, inputSize]), weights: weights,
            h0: state?.h, c0: state?.c)
        return (r.h, r.c)
    }
}
