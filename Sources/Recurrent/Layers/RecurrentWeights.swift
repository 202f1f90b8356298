import SeqTensor

/// The four parameters of PyTorch's gated cells, `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`:
/// W_ih (G*H, I), W_hh (G*H, H), biases (G*H), the G gate blocks stacked along the rows. The
/// cells that have them own them through this (`LSTMCell`, `GRUCell`, `RNNCell`,
/// `GRUResetBeforeCell`), and it is the layout the fused kernels read.
public struct RecurrentWeights {
    /// W_ih (G*H, I): the gate blocks stacked in the cell's order.
    public let weightIH: Parameter
    /// W_hh (G*H, H).
    public let weightHH: Parameter
    /// b_ih (G*H), or nil without bias.
    public let biasIH: Parameter?
    /// b_hh (G*H), or nil without bias.
    public let biasHH: Parameter?

    /// Weights made elsewhere.
    public init(weightIH: Parameter, weightHH: Parameter, biasIH: Parameter?, biasHH: Parameter?) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }

    /// Fresh weights of `gates` blocks from `inputSize` to `hiddenSize` (with biases when `bias`),
    /// drawn uniformly in ±1/sqrt(H) from `random` in PyTorch's order: W_ih, W_hh, b_ih, b_hh.
    public init(gates: Int, inputSize: Int, hiddenSize: Int, bias: Bool, random: RandomSource) {
        precondition(inputSize > 0 && hiddenSize > 0, "RecurrentWeights: sizes must be positive")
        let bound = 1 / Float(hiddenSize).squareRoot()
        let parameters = Self.parameterShapes(gates: gates, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias)
            .map { name, shape in
                Parameter(Tensor(uniform: shape, low: -bound, high: bound, generator: &random.generator), name: name)
            }
        self.init(
            weightIH: parameters[0], weightHH: parameters[1], biasIH: bias ? parameters[2] : nil,
            biasHH: bias ? parameters[3] : nil)
    }

    /// The names and shapes of the parameters the initialiser above makes, in its order.
    public static func parameterShapes(gates: Int, inputSize: Int, hiddenSize: Int, bias: Bool) -> [(String, [Int])] {
        let rows = gates * hiddenSize
        return [("weight_ih", [rows, inputSize]), ("weight_hh", [rows, hiddenSize])]
            + (bias ? [("bias_ih", [rows]), ("bias_hh", [rows])] : [])
    }

    /// The parameters under their PyTorch names, for the cells' `directParameters`.
    public var named: [(String, Parameter)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH)]
            + (biasIH.map { [("bias_ih", $0)] } ?? []) + (biasHH.map { [("bias_hh", $0)] } ?? [])
    }

    var all: [Variable?] { [weightIH, weightHH, biasIH, biasHH] }

    /// Sets the starting bias of gate block `gate`: b_ih's block to `value` and b_hh's to 0, since
    /// the gate sees their sum (an LSTM's forget gate at 1 remembers by default).
    public func setGateBias(_ gate: Int, to value: Float) {
        guard let biasIH, let biasHH else { return }
        let H = weightHH.shape[1]
        let pi = biasIH.value.mutablePointer, ph = biasHH.value.mutablePointer
        for j in (gate * H)..<((gate + 1) * H) {
            pi[j] = value
            ph[j] = 0
        }
    }

    /// The bias of the input pre-activations W_ih x + b (G*H values): b_ih, plus b_hh unless the
    /// cell keeps its recurrent projection apart (the GRU); nil without biases. Differentiable,
    /// for the token table of an embedding folded into the first layer.
    public func inputBias(for cell: any CellKernels) -> Variable? {
        guard !cell.keepsRecurrentProjection, let hh = biasHH else { return biasIH }
        return biasIH.map { $0 + hh } ?? hh
    }

    /// `inputBias(for:)`'s value, zeros without biases.
    public func inputBiasValue(for cell: any CellKernels) -> Tensor {
        Graph.withoutRecording { inputBias(for: cell)?.value } ?? Tensor(zeros: [weightHH.shape[0]])
    }

    /// Gate block `gate` of `gates` (H rows of each matrix) of W_ih x + b_ih and of W_hh h + b_hh:
    /// x (B, I) and h (B, H) give two (B, H) terms. For the cells' steps in autodiff operations.
    public func gateBlock(_ gate: Int, of gates: Int, x: Variable, h: Variable) -> (
        input: Variable, recurrent: Variable
    ) {
        let (input, recurrentWeight, recurrentBias) = gateBlockParts(gate, of: gates, x: x)
        return (input, linear(h, weight: recurrentWeight, bias: recurrentBias))
    }

    /// Gate block `gate` of W_ih x + b_ih (B, H), and the block's rows of W_hh (H, H) and of b_hh
    /// (H): for a cell that multiplies something other than h by them.
    public func gateBlockParts(_ gate: Int, of gates: Int, x: Variable) -> (
        input: Variable, recurrentWeight: Variable, recurrentBias: Variable?
    ) {
        let H = weightHH.shape[1], rows = (gate * H)..<((gate + 1) * H)
        precondition(
            weightHH.shape[0] == gates * H, "gateBlock: weight_hh \(weightHH.shape) has not \(gates) gate blocks")
        return (
            linear(x, weight: weightIH.slice(rows), bias: biasIH?.slice(rows)), weightHH.slice(rows),
            biasHH?.slice(rows)
        )
    }
}

/// A cell whose parameters are PyTorch's four gate tensors (`weights`) of `gateCount` blocks:
/// its sizes, named parameters and registry shapes follow from them.
public protocol GatedCell: RegisteredCell {
    /// Gate blocks G stacked in the weights: LSTM 4 (i f g o), GRU 3 (r z n), RNN 1.
    static var gateCount: Int { get }
    /// W_ih (G*H, I), W_hh (G*H, H) and the biases.
    var weights: RecurrentWeights { get }
}

extension GatedCell {
    public var inputSize: Int { weights.weightIH.shape[1] }
    public var hiddenSize: Int { weights.weightHH.shape[1] }
    public var directParameters: [(String, Parameter)] { weights.named }

    public static func parameterShapes(_ options: CellOptions) -> [(String, [Int])] {
        RecurrentWeights.parameterShapes(
            gates: gateCount, inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias)
    }
}
