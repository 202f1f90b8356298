import SeqTensor

/// The four parameters of one layer and direction, PyTorch's `weight_ih`, `weight_hh`,
/// `bias_ih`, `bias_hh`: W_ih (G*H, I), W_hh (G*H, H), biases (G*H).
public struct RecurrentWeights {
    /// W_ih (G*H, I): the gate blocks stacked in PyTorch's order.
    public let weightIH: Variable
    /// W_hh (G*H, H).
    public let weightHH: Variable
    /// b_ih (G*H), or nil without bias.
    public let biasIH: Variable?
    /// b_hh (G*H), or nil without bias.
    public let biasHH: Variable?

    /// One layer-direction's weights.
    public init(weightIH: Variable, weightHH: Variable, biasIH: Variable?, biasHH: Variable?) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }

    var all: [Variable?] { [weightIH, weightHH, biasIH, biasHH] }

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
    /// x (B, I) and h (B, H) give two (B, H) terms. For the cells' reference steps.
    public func gateBlock(_ gate: Int, of gates: Int, x: Variable, h: Variable) -> (
        input: Variable, recurrent: Variable
    ) {
        let H = weightHH.shape[1], rows = (gate * H)..<((gate + 1) * H)
        precondition(
            weightHH.shape[0] == gates * H, "gateBlock: weight_hh \(weightHH.shape) has not \(gates) gate blocks")
        return (
            linear(x, weight: weightIH.slice(rows), bias: biasIH?.slice(rows)),
            linear(h, weight: weightHH.slice(rows), bias: biasHH?.slice(rows))
        )
    }
}
