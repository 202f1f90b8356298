import Feedforward
import SeqTensor

extension CellKind {
    /// The layer-normalised LSTM (`LayerNormLSTMCell`).
    public static let layerNormLSTM = CellKind { LayerNormLSTMCell($0, random: $1) }
}

/// One step of the layer-normalised LSTM (Ba, Kiros and Hinton 2016, "Layer Normalization",
/// supplementary section on LSTMs): layer normalisation of the input and of the recurrent
/// pre-activations (each over all 4H of them), and of the cell state where it enters the output.
///
///     [i f g o] = LN_ih(W_ih x) + LN_hh(W_hh h) + b     LN(z) = (z - mean z) / sqrt(var z + eps) * gain + bias
///     c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
///     h' = sigmoid(o) * tanh(LN_c(c'))
///
/// The cell state c' is carried unnormalised. The gates are in PyTorch's LSTM order i, f, g, o
/// (the paper writes f, i, o, g; normalising all 4H together, the order changes nothing).
///
/// input (B, I) and state (h, c) (B, H) -> the next state. Parameters: `weight_ih` (4H, I),
/// `weight_hh` (4H, H), `bias` (4H, when `bias`), and the normalisations' gains and biases
/// `norm_ih.weight`, `norm_ih.bias`, `norm_hh.weight`, `norm_hh.bias` (4H), `norm_c.weight`,
/// `norm_c.bias` (H) (PyTorch's `nn.LayerNorm`, eps 1e-5). The weights and `bias` are drawn as an
/// LSTM's (uniform in ±1/sqrt(H)), the gains start at 1 and the normalisations' biases at 0.
///
/// It has no fused kernels: a layer of it unrolls this step in autodiff operations.
public final class LayerNormLSTMCell: RegisteredCell {
    public typealias State = LSTMState
    public let inputSize: Int, hiddenSize: Int
    /// W_ih (4H, I) and W_hh (4H, H).
    public let weightIH: Parameter, weightHH: Parameter
    /// b (4H), or nil without bias.
    public let bias: Parameter?
    /// The normalisations of W_ih x (4H), of W_hh h (4H) and of the cell state (H).
    public let normIH: LayerNorm, normHH: LayerNorm, normC: LayerNorm

    /// A cell from `inputSize` to `hiddenSize` (with b when `bias`), drawn from `random`;
    /// `forgetGateBias` sets b's forget block (see `CellOptions`).
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, forgetGateBias: Float? = nil, random: RandomSource
    ) {
        (self.inputSize, self.hiddenSize) = (inputSize, hiddenSize)
        let bound = 1 / Float(hiddenSize).squareRoot()
        let parameters = Self.weightShapes(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias).map {
            name, shape in
            Parameter(Tensor(uniform: shape, low: -bound, high: bound, generator: &random.generator), name: name)
        }
        (weightIH, weightHH, self.bias) = (parameters[0], parameters[1], bias ? parameters[2] : nil)
        if let forgetGateBias, let b = self.bias {
            let p = b.value.mutablePointer
            for j in hiddenSize..<(2 * hiddenSize) { p[j] = forgetGateBias }
        }
        normIH = LayerNorm(normalizedShape: 4 * hiddenSize)
        normHH = LayerNorm(normalizedShape: 4 * hiddenSize)
        normC = LayerNorm(normalizedShape: hiddenSize)
    }

    /// The cell of `options`.
    public convenience init(_ options: CellOptions, random: RandomSource) {
        self.init(
            inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias,
            forgetGateBias: options.forgetGateBias, random: random)
    }

    public var name: String { "layer_norm_lstm" }

    public var directParameters: [(String, Parameter)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var children: [(String, any Module)] { [("norm_ih", normIH), ("norm_hh", normHH), ("norm_c", normC)] }

    /// The drawn parameters' names and shapes, in drawing order.
    static func weightShapes(inputSize: Int, hiddenSize: Int, bias: Bool) -> [(String, [Int])] {
        [("weight_ih", [4 * hiddenSize, inputSize]), ("weight_hh", [4 * hiddenSize, hiddenSize])]
            + (bias ? [("bias", [4 * hiddenSize])] : [])
    }

    public static func parameterShapes(_ options: CellOptions) -> [(String, [Int])] {
        let H = options.hiddenSize
        return weightShapes(inputSize: options.inputSize, hiddenSize: H, bias: options.bias)
            + [("norm_ih", 4 * H), ("norm_hh", 4 * H), ("norm_c", H)].flatMap { norm, size in
                [("\(norm).weight", [size]), ("\(norm).bias", [size])]
            }
    }

    public func callAsFunction(_ x: Variable, state: LSTMState) -> LSTMState {
        let H = hiddenSize
        var gates =
            normIH(linear(x, weight: weightIH, bias: nil)) + normHH(linear(state.h, weight: weightHH, bias: nil))
        if let bias { gates = gates + bias }
        func gate(_ k: Int) -> Variable { narrowLastAxis(gates, (k * H)..<((k + 1) * H)) }
        let i = gate(0).sigmoid(), f = gate(1).sigmoid(), g = gate(2).tanh(), o = gate(3).sigmoid()
        let c = f * state.c + i * g
        return LSTMState(h: o * normC(c).tanh(), c: c)
    }
}
