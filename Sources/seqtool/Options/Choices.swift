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

/// `--model` of classify: a feedforward or convolutional architecture, or any registered cell.
struct ClassifierChoice: ExpressibleByArgument, Equatable {
    /// The choice as the command line and the JSON summary spell it (`rnn` stays `rnn`).
    let rawValue: String
    static let lstm = Self(rawValue: "lstm"), gru = Self(rawValue: "gru"), rnn = Self(rawValue: "rnn")
    static let rnnRelu = Self(rawValue: "rnn_relu")
    static let mlp = Self(rawValue: "mlp"), cnn1d = Self(rawValue: "cnn1d"), cnn2d = Self(rawValue: "cnn2d")
    static let fcn = Self(rawValue: "fcn"), lstmFCN = Self(rawValue: "lstm-fcn")
    static let architectures = [mlp, cnn1d, cnn2d, fcn, lstmFCN]

    private init(rawValue: String) { self.rawValue = rawValue }

    init?(argument: String) {
        let given = argument.lowercased()
        if let architecture = Self.architectures.first(where: { $0.rawValue == given }) {
            self = architecture
        } else if let cell = CellKind(name: given) {
            rawValue = given == "rnn" ? "rnn" : cell.name
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["rnn"] + CellKind.all.map(\.name) + architectures.map(\.rawValue) }

    /// The cell of a recurrent choice; nil for the feedforward ones.
    var cell: CellKind? { Self.architectures.contains(self) ? nil : CellKind(name: rawValue) }
}
