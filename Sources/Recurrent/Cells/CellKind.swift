import SeqTensor

/// The registered cells by the names model files and the command line use: a registry, not a
/// closed list. Everything a kind knows comes from its cell type: the name (`RecurrentCell.name`),
/// the state's parts (`CellState.partNames`), the parameters' shapes
/// (`RegisteredCell.parameterShapes(_:)`) and how to build it.
///
/// A new cell is a file that defines the cell and its kind (`extension CellKind { public static
/// let myCell = CellKind { MyCell($0, random: $1) } }`), and one entry in `all`.
public struct CellKind: Hashable, Sendable, CustomStringConvertible {
    /// The cell's name in files and on the command line (`lstm`, `gru`, `rnn_tanh`, ...).
    public let name: String
    /// The parts of the cell's state, in order, h first: `["h", "c"]` for an LSTM.
    public let stateNames: [String]
    private let makeCell: @Sendable (CellOptions, RandomSource) -> any RecurrentCell
    private let makeStack: @Sendable (StackOptions, CellOptions, RandomSource) -> any RecurrentStack
    private let shapes: @Sendable (CellOptions) -> [(String, [Int])]

    /// What a layer takes beside its cells' options.
    private struct StackOptions {
        let numLayers: Int, bidirectional: Bool, dropout: Float, batchFirst: Bool
    }

    /// The kind of the cells `make` builds (it must build the same configuration of cell for any
    /// options: its name is read off one small cell).
    public init<Cell: RegisteredCell>(_ make: @escaping @Sendable (CellOptions, RandomSource) -> Cell) {
        name = make(CellOptions(inputSize: 1, hiddenSize: 1), RandomSource(seed: 0)).name
        stateNames = Cell.State.partNames
        makeCell = make
        shapes = { Cell.parameterShapes($0) }
        makeStack = { stack, cell, random in
            RecurrentLayer<Cell>(
                inputSize: cell.inputSize, numLayers: stack.numLayers, batchFirst: stack.batchFirst,
                dropout: stack.dropout, bidirectional: stack.bidirectional, random: random
            ) { inputSize, random in
                var options = cell
                options.inputSize = inputSize
                return make(options, random)
            }
        }
    }

    /// The registered cells, in the order help texts list them: the one list there is.
    public static let all: [CellKind] = [.lstm, .gru, .rnnTanh, .rnnRelu, .gruResetBefore, .layerNormLSTM]

    /// The kind named `name` (any case, `-` for `_`), also under the command line's aliases
    /// `rnn` (= `rnn_tanh`), `rnn-tanh` and `rnn-relu`; nil for a name no cell has.
    public init?(name: String) {
        var key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        if key == "rnn" { key = "rnn_tanh" }
        guard let kind = Self.all.first(where: { $0.name == key }) else { return nil }
        self = kind
    }

    /// The registered names, for messages: "lstm, gru, ... or layer_norm_lstm".
    public static var nameList: String {
        let names = all.map(\.name)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    public var description: String { name }

    public static func == (a: CellKind, b: CellKind) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// One cell of this kind, PyTorch's `nn.LSTMCell(inputSize, hiddenSize, bias)` for `.lstm`.
    /// - Parameters:
    ///   - inputSize: features of the input x (I).
    ///   - hiddenSize: features of each part of the state (H).
    ///   - bias: whether the cell has its biases.
    ///   - forgetGateBias: the forget gate's starting bias for cells that have one (see
    ///     `CellOptions`); ignored by the others.
    ///   - random: the source the weights are drawn from.
    public func makeCell(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, forgetGateBias: Float? = nil, random: RandomSource
    ) -> any RecurrentCell {
        makeCell(
            CellOptions(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, forgetGateBias: forgetGateBias),
            random)
    }

    /// A stack of this kind's cells, PyTorch's `nn.LSTM(inputSize, hiddenSize, numLayers, bias,
    /// batch_first, dropout, bidirectional)` for `.lstm`: input (T, B, I) (batch-first (B, T, I))
    /// -> output (T, B, D*H) and final state, each part (L*D, B, H). See `RecurrentLayer`.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - bidirectional: whether each layer also runs right to left (D = 2).
    ///   - bias: whether the cells have their biases.
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - batchFirst: input and output (B, T, features) instead of (T, B, features).
    ///   - forgetGateBias: the forget gate's starting bias for cells that have one (see
    ///     `CellOptions`); ignored by the others.
    ///   - random: the source the weights are drawn from, layer by layer, direction by direction.
    public func makeLayer(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false, bias: Bool = true,
        dropout: Float = 0, batchFirst: Bool = false, forgetGateBias: Float? = nil, random: RandomSource
    ) -> any RecurrentStack {
        makeStack(
            StackOptions(numLayers: numLayers, bidirectional: bidirectional, dropout: dropout, batchFirst: batchFirst),
            CellOptions(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, forgetGateBias: forgetGateBias),
            random)
    }

    /// The `state_dict` names and shapes of `makeLayer`'s parameters for these sizes, without
    /// allocating them: loaders check a file against them before building anything.
    public func parameterShapes(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false, bias: Bool = true
    ) -> [(String, [Int])] {
        let D = bidirectional ? 2 : 1
        return (0..<numLayers).flatMap { l in
            (0..<D).flatMap { d in
                let options = CellOptions(
                    inputSize: l == 0 ? inputSize : D * hiddenSize, hiddenSize: hiddenSize, bias: bias)
                let child = cellChildName(layer: l, reverse: d == 1)
                return shapes(options).map { (cellParameterName($0.0, inChild: child), $0.1) }
            }
        }
    }
}
