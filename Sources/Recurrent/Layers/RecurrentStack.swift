import Feedforward
import SeqTensor

/// A stack of recurrent layers with its cell erased: what task code holds when the cell is a
/// choice (`CellKind.makeLayer`), as PyTorch code holds an `nn.RNNBase`. `RecurrentLayer` is the
/// one conforming type.
///
/// input (T, B, I) (batch-first (B, T, I)) -> output (T, B, D*H) (batch-first (B, T, D*H)) and the
/// final state, each part (L*D, B, H), layer-major. The state is a `RecurrentState`, its parts
/// named by `stateNames`.
public protocol RecurrentStack: Module {
    /// The cell's name (`lstm`, `gru`, a user's cell's own).
    var cellName: String { get }
    /// The parts of the state, in order, h first: `["h", "c"]` for an LSTM.
    var stateNames: [String] { get }
    /// Features per step of the input (I), hidden units per layer and direction (H), stacked
    /// layers (L), directions (D: 2 when bidirectional).
    var inputSize: Int { get }
    /// See `inputSize`.
    var hiddenSize: Int { get }
    /// See `inputSize`.
    var numLayers: Int { get }
    /// See `inputSize`.
    var directions: Int { get }
    /// Whether input and output are (B, T, features) rather than (T, B, features).
    var batchFirst: Bool { get }
    /// Whether cells with fused kernels run them (the default) rather than their steps in
    /// autodiff operations: the specification, which the tests compare with the kernels.
    var usesFusedKernels: Bool { get set }
    /// Each layer's and direction's fused kernels and weights when the cells have them and
    /// `usesFusedKernels` is on (the batch-1 stepper runs them); nil otherwise.
    var fusedKernels: [[FusedKernels]]? { get }

    /// `callAsFunction(_:state:lengths:)` of the stack.
    func forward(_ input: Variable, state: RecurrentState?, lengths: [Int]?) -> (
        output: Variable, state: RecurrentState
    )
    /// `callAsFunction(tokens:steps:batch:embedding:state:lengths:)` of the stack.
    func forward(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable, state: RecurrentState?, lengths: [Int]?
    ) -> (output: Variable, state: RecurrentState)
}

extension RecurrentStack {
    /// The registered kind of the cell; nil for a cell that is not registered.
    public var cell: CellKind? { CellKind(name: cellName) }

    /// Whether each layer also runs right to left.
    public var bidirectional: Bool { directions == 2 }

    /// A zero state for a batch of `batch` sequences: every part (L*D, B, H).
    public func zeroState(batch: Int) -> RecurrentState {
        RecurrentState(
            parts: stateNames.map { _ in Variable(Tensor(zeros: [numLayers * directions, batch, hiddenSize])) })
    }

    /// Runs the stack over input (T, B, I) (batch-first (B, T, I)) from `state` (zero if nil);
    /// `lengths` (B values in 1...T) for variable-length batches, as PyTorch's packed sequences.
    /// Returns the last layer's output (T, B, D*H) (batch-first (B, T, D*H)) and the final state.
    public func callAsFunction(_ input: Variable, state: RecurrentState? = nil, lengths: [Int]? = nil) -> (
        output: Variable, state: RecurrentState
    ) {
        forward(input, state: state, lengths: lengths)
    }

    /// The same over embedded tokens: ids (T*B, time-major; batch-first (B*T)) looked up in
    /// `embedding` (V, I). Equal to `self(embedding(ids), state:)`; for cells with fused kernels
    /// computed as a lookup in E W_ih^T + b for the first layer (see `RecurrentInput.tokens`): V
    /// rows projected instead of T*B.
    public func callAsFunction(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable, state: RecurrentState?,
        lengths: [Int]? = nil
    ) -> (output: Variable, state: RecurrentState) {
        forward(tokens: ids, steps: steps, batch: batch, embedding: embedding, state: state, lengths: lengths)
    }
}
