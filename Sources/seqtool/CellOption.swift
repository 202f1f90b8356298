import ArgumentParser
import Recurrent
import SeqTensor

extension CellKind: ExpressibleByArgument {
    /// `lstm`, `gru`, `rnn` (tanh), `rnn_tanh`, `rnn_relu`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "lstm": self = .lstm
        case "gru": self = .gru
        case "rnn", "rnn_tanh", "rnn-tanh": self = .rnnTanh
        case "rnn_relu", "rnn-relu": self = .rnnRelu
        default: return nil
        }
    }
}

extension OptimizerKind: ExpressibleByArgument {}
