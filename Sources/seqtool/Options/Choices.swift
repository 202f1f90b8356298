import ArgumentParser
import Datasets
import Recurrent
import SeqTensor

// The choices flags take, as enums the parser checks and lists in --help.

extension CellKind: ExpressibleByArgument {
    /// Every registered cell's name (`lstm`, `gru`, `rnn_tanh`, ...), and `rnn` for `rnn_tanh`.
    public init?(argument: String) { self.init(name: argument) }

    public static var allValueStrings: [String] { all.map(\.name) }
}

extension OptimizerKind: ExpressibleByArgument {}

extension LabeledRows.LabelColumn: ExpressibleByArgument {}

/// `--schedule` of train-char.
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    /// Multiplied by --lr-decay every --lr-decay-every steps.
    case step
    /// Cosine-annealed to 0 over the run.
    case cosine
    case constant
}

/// `--model` of classify.
enum ClassifierChoice: String, ExpressibleByArgument, CaseIterable {
    case lstm, gru, rnn
    case rnnRelu = "rnn_relu"
    case mlp, cnn1d, cnn2d
    case fcn
    case lstmFCN = "lstm-fcn"

    /// The cell of a recurrent choice; nil for the feedforward ones.
    var cell: CellKind? {
        switch self {
        case .lstm: .lstm
        case .gru: .gru
        case .rnn: .rnnTanh
        case .rnnRelu: .rnnRelu
        case .mlp, .cnn1d, .cnn2d, .fcn, .lstmFCN: nil
        }
    }
}
