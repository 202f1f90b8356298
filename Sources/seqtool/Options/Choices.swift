import ArgumentParser
import Datasets
import Recurrent
import SeqTensor

// The choices flags take, as types the parser checks and lists in --help.

/// A cell by its registered name (`CellKind.all`: `lstm`, `gru`, `rnn_tanh`, ...), or an alias
/// (`rnn` is `rnn_tanh`).
extension CellKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { all.map(\.name) }
}

extension OptimizerKind: ExpressibleByArgument {}

extension LabelColumn: ExpressibleByArgument {}

/// `--schedule`.
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    /// Multiplied by --lr-decay every --lr-decay-every steps.
    case step
    /// Cosine-annealed to --min-lr over the run.
    case cosine
    case constant
}

/// `--model` of classify: an architecture's name (a recurrent cell's name for a recurrent model).
struct ArchitectureName: ExpressibleByArgument, Sendable {
    /// The feedforward and convolutional architectures' names.
    static let others = ["fcn", "resnet", "lstm-fcn", "mlp", "cnn1d", "cnn2d", "minirocket"]
    /// The canonical name (`rnn_tanh` for `rnn`), and the name as given (what the summary reports).
    let name: String, spelled: String

    init(name: String) { (self.name, spelled) = (name, name) }

    init?(argument: String) {
        spelled = argument.lowercased()
        if let cell = CellKind(name: argument) {
            name = cell.name
        } else if Self.others.contains(spelled) {
            name = spelled
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["rnn"] + CellKind.all.map(\.name) + others }
    var defaultValueDescription: String { name }
}
