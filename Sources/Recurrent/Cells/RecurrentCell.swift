import Feedforward
import SeqTensor

/// The equations of one step of a recurrent cell: a `Module` that owns its parameters (any number
/// of tensors, any children) and maps an input x (B, I) and a state to the next state, in autodiff
/// operations. PyTorch's one-step modules are cells: `LSTMCell` is `nn.LSTMCell`.
///
/// `RecurrentLayer` runs any cell over sequences (stacked, bidirectional, dropout between layers,
/// initial and final state, per-sequence lengths, batch-first) by unrolling its step, so a cell
/// written outside the package gets all of it, with backpropagation through time from the graph:
///
///     final class MinimalGatedUnit: RecurrentCell {
///         let inputSize: Int, hiddenSize: Int
///         let forget: Linear, candidate: Linear, ...   // listed in `children`
///         var name: String { "mgu" }
///         func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState { ... }
///     }
///     let layer = RecurrentLayer(inputSize: 8, numLayers: 2, random: random) { inputSize, random in
///         MinimalGatedUnit(inputSize: inputSize, hiddenSize: 32, random: random)
///     }
///
/// Cells with fused kernels (`LSTMCell`, `GRUCell`, `RNNCell`) return them from `fusedKernels`;
/// the layer then runs those instead of the step (`recurrentSequence`), and the step stays their
/// specification, which the tests hold the kernels to.
public protocol RecurrentCell: Module {
    /// The state the cell carries: `LSTMState` (h, c), `HiddenState` (h), or a cell's own.
    associatedtype State: CellState
    /// The cell's name in files and on the command line (`lstm`, `rnn_relu`): `CellKind.name`.
    var name: String { get }
    /// Features of the input x (I) and of every part of the state (H).
    var inputSize: Int { get }
    /// See `inputSize`.
    var hiddenSize: Int { get }
    /// The next state from input x (B, I) and `state` (each part (B, H)), in autodiff operations.
    func callAsFunction(_ input: Variable, state: State) -> State
    /// The fused sequence kernels and the weights they read, for cells that have them; nil (the
    /// default) runs the step above.
    var fusedKernels: FusedKernels? { get }
}

extension RecurrentCell {
    public var fusedKernels: FusedKernels? { nil }

    /// The zero state of a batch of `batch` sequences: every part (B, H) of zeros.
    public func zeroState(batch: Int) -> State {
        State(parts: State.partNames.map { _ in Variable(Tensor(zeros: [batch, hiddenSize])) })
    }

    /// The step with the state as parts (`State.partNames` order): for code that holds the cell
    /// as `any RecurrentCell`.
    public func step(_ input: Variable, parts: [Variable]) -> [Variable] {
        self(input, state: State(parts: parts)).parts
    }
}

/// A cell's fused kernels over whole sequences and its parameters in their layout: what
/// `recurrentSequence` and the batch-1 stepper run.
public struct FusedKernels {
    /// The gate kernels.
    public let kernels: any CellKernels
    /// W_ih, W_hh and the biases, as the kernels read them.
    public let weights: RecurrentWeights

    /// The kernels of a cell and its weights.
    public init(_ kernels: any CellKernels, weights: RecurrentWeights) {
        self.kernels = kernels
        self.weights = weights
    }
}

/// What a cell is built from when the registry (`CellKind`) builds it: PyTorch's `input_size`,
/// `hidden_size` and `bias`, and the starting bias of the forget gate for cells that have one.
public struct CellOptions: Sendable {
    /// Features of the input (I) and of the state (H).
    public var inputSize: Int, hiddenSize: Int
    /// Whether the cell has its biases.
    public var bias: Bool
    /// The forget gate's starting bias (e.g. 1, so that a fresh cell remembers), for cells with a
    /// forget gate (the LSTMs); random like the other biases when nil. Cells without one ignore it.
    public var forgetGateBias: Float?

    /// The options, as the fields describe them.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, forgetGateBias: Float? = nil) {
        (self.inputSize, self.hiddenSize, self.bias, self.forgetGateBias) = (
            inputSize, hiddenSize, bias, forgetGateBias
        )
    }
}

/// A cell the registry (`CellKind`) can describe without building it: the names and shapes of the
/// parameters a cell built from `options` owns, in `namedParameters` order (loaders check files
/// against them before allocating anything).
public protocol RegisteredCell: RecurrentCell, SendableMetatype {
    /// The parameters' names and shapes for `options`.
    static func parameterShapes(_ options: CellOptions) -> [(String, [Int])]
}
