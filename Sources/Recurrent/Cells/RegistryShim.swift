// TEMPORARY: the erased API of the open cell protocol (branch `recurrent`), over the old layer,
// so that the task modules can move to it before the merge. Replaced by the real one at merge.
import Feedforward
import SeqTensor

extension CellKind: CustomStringConvertible {
    public var name: String { rawValue }
    public var description: String { rawValue }
    public static var all: [CellKind] { allCases }
    public init?(name: String) {
        switch name.lowercased() {
        case "lstm": self = .lstm
        case "gru": self = .gru
        case "rnn", "rnn_tanh", "rnn-tanh": self = .rnnTanh
        case "rnn_relu", "rnn-relu": self = .rnnRelu
        default: return nil
        }
    }
    public var stateNames: [String] { hasCellState ? ["h", "c"] : ["h"] }
    public func makeLayer(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bidirectional: Bool = false, bias: Bool = true,
        dropout: Float = 0, batchFirst: Bool = false, forgetGateBias: Float? = nil, random: RandomSource
    ) -> any RecurrentStack {
        RecurrentLayer(
            self, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bidirectional: bidirectional,
            bias: bias, dropout: dropout, forgetGateBias: self == .lstm ? forgetGateBias : nil, random: random)
    }
    public func parameterShapes(
        inputSize: Int, hiddenSize: Int, numLayers: Int, bidirectional: Bool = false, bias: Bool = true
    ) -> [(String, [Int])] {
        RecurrentLayer.parameterShapes(
            self, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bidirectional: bidirectional,
            bias: bias)
    }
}

public protocol RecurrentStack: Module {
    var inputSize: Int { get }
    var hiddenSize: Int { get }
    var numLayers: Int { get }
    var directions: Int { get }
    var summaryName: String { get }
    func zeroState(batch: Int) -> RecurrentState
    func callAsFunction(_ input: Variable, state: RecurrentState?, lengths: [Int]?) -> (
        output: Variable, state: RecurrentState
    )
    func callAsFunction(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Variable, state: RecurrentState?, lengths: [Int]?
    ) -> (output: Variable, state: RecurrentState)
}

extension RecurrentLayer: RecurrentStack {}

extension RecurrentStack {
    public func callAsFunction(_ input: Variable, state: RecurrentState? = nil) -> (
        output: Variable, state: RecurrentState
    ) { self(input, state: state, lengths: nil) }
}
