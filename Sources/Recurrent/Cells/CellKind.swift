/// The cells by the names model files and the command line use: the one registration of each
/// cell's kernels. A new cell is a new file with its `CellKernels` and a case here.
public enum CellKind: String, Sendable, CaseIterable {
    case lstm
    case gru
    case rnnTanh = "rnn_tanh"
    case rnnRelu = "rnn_relu"

    /// The cell's equations and kernels.
    public var kernels: any CellKernels {
        switch self {
        case .lstm: LSTMKernels()
        case .gru: GRUKernels()
        case .rnnTanh: RNNKernels(nonlinearity: .tanh)
        case .rnnRelu: RNNKernels(nonlinearity: .relu)
        }
    }

    /// Gate blocks stacked in the weights: LSTM 4 (i f g o), GRU 3 (r z n), RNN 1.
    public var gateCount: Int { kernels.gateCount }

    /// Whether the cell carries a cell state c beside h.
    public var hasCellState: Bool { kernels.hasCellState }
}
