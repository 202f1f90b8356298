import Feedforward
import SeqTensor

/// A stack of recurrent layers of any cell over sequences, PyTorch's `nn.RNN`, `nn.LSTM` and
/// `nn.GRU` (`LSTM` is `RecurrentLayer<LSTMCell>`) for a cell written anywhere: `numLayers`,
/// `bidirectional`, dropout between layers (training only), optional initial state, per-sequence
/// lengths, `batchFirst`.
///
/// input (T, B, I) (batch-first (B, T, I)) -> output (T, B, D*H) (batch-first (B, T, D*H)) and
/// the final state, the cell's state type with each part (L*D, B, H), layer-major (l0 forward,
/// l0 reverse, l1 forward, ...), as PyTorch's `(h_n, c_n)` (also with `batchFirst`).
///
/// The layer holds one cell per layer and direction (`cells[l][d]`), each made by the factory it
/// is given with its input size (I for the first layer, D*H above), in that order, so the weights
/// are drawn as PyTorch draws them. Parameters are the cells' names with `_l{k}` (and `_reverse`)
/// added: `weight_ih_l0`, `bias_hh_l1_reverse`, `norm_ih_l0.weight`, as `nn.LSTM` names them.
///
/// Cells with fused kernels (`RecurrentCell.fusedKernels`) run `recurrentSequence`: one
/// autodiff operation per layer and direction, fused gate kernels, BPTT in one pass. Any other
/// cell is unrolled step by step in autodiff operations, with everything above the same.
public final class RecurrentLayer<Cell: RecurrentCell>: RecurrentStack {
    /// The cells by layer, then direction (forward, reverse).
    public let cells: [[Cell]]
    /// Features per step of the input (I), hidden units per layer and direction (H), stacked
    /// layers (L), directions (D).
    public let inputSize: Int, hiddenSize: Int, numLayers: Int, directions: Int
    /// Whether input and output are (B, T, features) rather than (T, B, features).
    public let batchFirst: Bool
    /// Dropout on the outputs of every layer but the last, in training mode.
    public let dropoutProbability: Float
    public var usesFusedKernels = true
    /// Training mode (dropout between layers), set on the cells too.
    public var isTraining = true {
        didSet { for cell in cells.joined() { cell.isTraining = isTraining } }
    }
    let random: RandomSource

    /// A stack of the cells `cell` makes.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - batchFirst: input and output (B, T, features) instead of (T, B, features).
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - random: the source of the dropout masks, and passed to `cell`.
    ///   - cell: makes the cell of each layer and direction, in that order, from its input size
    ///     (I, then D*H) and `random`; every cell has the first one's hidden size.
    public init(
        inputSize: Int, numLayers: Int = 1, batchFirst: Bool = false, dropout: Float = 0,
        bidirectional: Bool = false, random: RandomSource,
        cell: (_ inputSize: Int, _ random: RandomSource) -> Cell
    ) {
        precondition(inputSize > 0 && numLayers > 0, "RecurrentLayer: sizes must be positive")
        precondition(dropout >= 0 && dropout < 1, "RecurrentLayer: dropout \(dropout) outside [0, 1)")
        let D = bidirectional ? 2 : 1
        var cells: [[Cell]] = []
        var hiddenSize = 0
        for l in 0..<numLayers {
            var layer: [Cell] = []
            for _ in 0..<D {
                let size = l == 0 ? inputSize : D * hiddenSize
                let made = cell(size, random)
                if hiddenSize == 0 { hiddenSize = made.hiddenSize }
                precondition(
                    made.inputSize == size && made.hiddenSize == hiddenSize,
                    "RecurrentLayer: layer \(l) got a cell (\(made.inputSize) -> \(made.hiddenSize)), "
                        + "expected (\(size) -> \(hiddenSize))")
                layer.append(made)
            }
            cells.append(layer)
        }
        precondition(hiddenSize > 0, "RecurrentLayer: hidden size must be positive")
        self.cells = cells
        (self.inputSize, self.hiddenSize, self.numLayers, directions) = (inputSize, hiddenSize, numLayers, D)
        (self.batchFirst, dropoutProbability, self.random) = (batchFirst, dropout, random)
        for (name, p) in namedParameters { p.name = name }
    }

    /// The cells, named `l{k}` and `l{k}_reverse` (their parameters' suffixes).
    public var children: [(String, any Module)] {
        cells.enumerated().flatMap { l, layer in
            layer.enumerated().map { d, cell in (cellChildName(layer: l, reverse: d == 1), cell as any Module) }
        }
    }

    /// `weight_ih` of child `l1_reverse` is `weight_ih_l1_reverse` (PyTorch's names), and
    /// `norm_ih.weight` of child `l0` is `norm_ih_l0.weight`.
    public func qualifiedName(_ name: String, inChild child: String) -> String {
        cellParameterName(name, inChild: child)
    }

    public var cellName: String { cells[0][0].name }
    public var stateNames: [String] { Cell.State.partNames }

    public var summaryName: String {
        "\(cellName.uppercased())(\(inputSize)->\(hiddenSize), layers=\(numLayers)"
            + "\(directions == 2 ? ", bidirectional" : ""))"
    }

    public var fusedKernels: [[FusedKernels]]? {
        guard usesFusedKernels else { return nil }
        let fused = cells.map { $0.compactMap(\.fusedKernels) }
        return fused.allSatisfy { $0.count == directions } ? fused : nil
    }

    /// A zero state for a batch of `batch` sequences: every part (L*D, B, H).
    public func zeroState(batch: Int) -> Cell.State {
        Cell.State(parts: stateNames.map { _ in Variable(Tensor(zeros: [numLayers * directions, batch, hiddenSize])) })
    }

    /// Runs the stack over input (T, B, I) (batch-first (B, T, I)) from `state` (zero if nil);
    /// `lengths` (B values in 1...T) for variable-length batches, as PyTorch's packed sequences:
    /// each sequence's output is zero past its length and its final state is the one at its own
    /// last step. Returns the last layer's output (T, B, D*H) (batch-first (B, T, D*H)) and the
    /// final state.
    public func callAsFunction(_ input: Variable, state: Cell.State? = nil, lengths: [Int]? = nil) -> (
        output: Variable, state: Cell.State
    ) {
        precondition(
            input.value.rank == 3 && input.shape[2] == inputSize,
            "\(summaryName): input \(input.shape) is not (\(batchFirst ? "B, T" : "T, B"), \(inputSize))")
        let x = batchFirst ? input.swappingFirstAxes() : input
        let (output, final) = run(steps: x.shape[0], batch: x.shape[1], state: state, lengths: lengths, .features(x))
        return (batchFirst ? output.swappingFirstAxes() : output, final)
    }

    /// The same over embedded tokens: ids (T*B time-major; with `batchFirst` B*T, batch-major)
    /// looked up in `embedding` (V, I). Equal to `self(embedding(ids), state:)`; for cells with
    /// fused kernels computed as a lookup in E W_ih^T + b for the first layer (see
    /// `RecurrentInput.tokens`): V rows projected instead of T*B.
    public func callAsFunction(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable, state: Cell.State? = nil,
        lengths: [Int]? = nil
    ) -> (output: Variable, state: Cell.State) {
        precondition(
            embedding.value.rank == 2 && embedding.shape[1] == inputSize,
            "\(summaryName): embedding \(embedding.shape) is not (V, \(inputSize))")
        precondition(ids.count == steps * batch, "\(summaryName): \(ids.count) tokens for T=\(steps), B=\(batch)")
        let timeMajor = batchFirst ? (0..<(steps * batch)).map { ids[($0 % batch) * steps + $0 / batch] } : ids
        let (output, final) = run(
            steps: steps, batch: batch, state: state, lengths: lengths, .tokens(timeMajor, embedding: embedding))
        return (batchFirst ? output.swappingFirstAxes() : output, final)
    }

    public func forward(_ input: Variable, state: RecurrentState?, lengths: [Int]?) -> (
        output: Variable, state: RecurrentState
    ) {
        let (output, final) = self(input, state: state.map(typed), lengths: lengths)
        return (output, RecurrentState(final))
    }

    public func forward(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable, state: RecurrentState?, lengths: [Int]?
    ) -> (output: Variable, state: RecurrentState) {
        let (output, final) = self(
            tokens: ids, steps: steps, batch: batch, embedding: embedding, state: state.map(typed), lengths: lengths)
        return (output, RecurrentState(final))
    }

    /// The typed state of erased `state`, whose parts must be the cell's.
    private func typed(_ state: RecurrentState) -> Cell.State {
        precondition(
            state.parts.count == stateNames.count,
            "\(summaryName): a state of \(state.parts.count) parts, expected \(stateNames.joined(separator: ", "))")
        return Cell.State(parts: state.parts)
    }

    /// What the first layer reads.
    private enum FirstInput {
        /// Features (T, B, I).
        case features(Variable)
        /// Token ids (T*B, time-major) of the rows of an embedding (V, I).
        case tokens([Int], embedding: Variable)
    }

    /// The stack over T steps of B sequences, the first layer reading `first`.
    private func run(
        steps T: Int, batch B: Int, state: Cell.State?, lengths: [Int]?, _ first: FirstInput
    ) -> (output: Variable, state: Cell.State) {
        let H = hiddenSize, D = directions
        if let state {
            for (name, part) in zip(stateNames, state.parts) {
                precondition(
                    part.shape == [numLayers * D, B, H],
                    "\(summaryName): initial \(name) \(part.shape), expected [\(numLayers * D), \(B), \(H)]")
            }
        }
        // The first layer's input as features, for cells without a token table (embedded once).
        var embedded: Variable?
        func firstFeatures() -> Variable {
            switch first {
            case .features(let input): return input
            case .tokens(let ids, let table):
                if embedded == nil { embedded = embedding(ids, shape: [T, B], weight: table) }
                return embedded!
            }
        }
        var x: Variable? = nil
        var finals = stateNames.map { _ in [Variable]() }
        for l in 0..<numLayers {
            if let input = x, isTraining && dropoutProbability > 0 {
                x = dropout(input, probability: dropoutProbability, random: random)
            }
            var outputs: [Variable] = []
            for d in 0..<D {
                let k = l * D + d
                let start = state?.parts.map { $0.slice(k..<(k + 1)).reshaped([B, H]) }
                let output: Variable, last: [Variable]
                if usesFusedKernels, let fused = cells[l][d].fusedKernels {
                    let source: RecurrentInput
                    switch (x, first) {
                    case (let input?, _), (nil, .features(let input)): source = .features(input)
                    case (nil, .tokens(let ids, let table)):
                        let w = fused.weights
                        source = .tokens(
                            ids, steps: T, batch: B,
                            table: linear(table, weight: w.weightIH, bias: w.inputBias(for: fused.kernels)))
                    }
                    let r = fused.kernels.sequence(
                        source, weights: fused.weights, h0: start?[0], c0: start.flatMap { $0.count > 1 ? $0[1] : nil },
                        reverse: d == 1, lengths: lengths)
                    (output, last) = (r.output, [r.h] + (r.c.map { [$0] } ?? []))
                } else {
                    (output, last) = unroll(
                        cells[l][d], x ?? firstFeatures(), from: start.map(Cell.State.init(parts:)), reverse: d == 1,
                        lengths: lengths)
                }
                outputs.append(output)
                for (p, part) in last.enumerated() { finals[p].append(part.reshaped([1, B, H])) }
            }
            x = D == 1 ? outputs[0] : concatenateLastAxis(outputs)
        }
        return (x!, Cell.State(parts: finals.map { $0.count == 1 ? $0[0] : concatenate($0) }))
    }
}

/// The name under which the cell of layer `layer` (and the reverse direction) is a child of its
/// layer: `l1_reverse`.
func cellChildName(layer: Int, reverse: Bool) -> String { "l\(layer)" + (reverse ? "_reverse" : "") }

/// Parameter `name` of the layer's child cell `child` among the layer's parameters: the child's
/// name appended to the first component, `weight_ih` -> `weight_ih_l1_reverse` (PyTorch's
/// names), `norm_ih.weight` -> `norm_ih_l0.weight`.
func cellParameterName(_ name: String, inChild child: String) -> String {
    let dot = name.firstIndex(of: ".") ?? name.endIndex
    return name[..<dot] + "_" + child + name[dot...]
}
