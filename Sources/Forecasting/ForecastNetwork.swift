import Feedforward
import Recurrent
import SeqTensor

/// One member of a `GlobalForecaster`: a recurrent stack reads a window's scaled features, and
/// from its final state a linear head gives every quantile of every step of the horizon at once
/// (direct multi-horizon output, as MQ-RNN does): (B, H * Q), step h's quantile q at h * Q + q.
public final class ForecastNetwork: Module {
    /// The recurrent stack (F -> hidden, `layers` deep).
    public let rnn: any RecurrentStack
    /// The outputs (hidden -> H * Q).
    public let head: Linear

    /// A member for `features` inputs a step and `outputs` outputs, drawn from `random`.
    public init(cell: CellKind, features: Int, hidden: Int, layers: Int, outputs: Int, random: RandomSource) {
        rnn = cell.makeLayer(inputSize: features, hiddenSize: hidden, numLayers: layers, random: random)
        head = Linear(inFeatures: hidden, outFeatures: outputs, random: random)
    }

    public var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }

    /// The outputs (B, H * Q) for `inputs` (T, B, F): the head on the last layer's state after
    /// each window's last step.
    public func callAsFunction(_ inputs: ForecastInputs) -> Variable {
        let T = inputs.features.shape[0], B = inputs.features.shape[1]
        let full = inputs.lengths.allSatisfy { $0 == T }
        let (_, state) = rnn(Variable(inputs.features), state: nil, lengths: full ? nil : inputs.lengths)
        let layers = rnn.numLayers
        let last = layers == 1 ? state.h : state.h.slice((layers - 1)..<layers)
        return head(last.reshaped([B, rnn.hiddenSize]))
    }

    /// The parameter names and shapes of a member, as `ModelFile.check` reads them.
    static func parameterShapes(cell: CellKind, features: Int, hidden: Int, layers: Int, outputs: Int)
        -> [(String, [Int])]
    {
        cell.parameterShapes(inputSize: features, hiddenSize: hidden, numLayers: layers).map { ("rnn." + $0.0, $0.1) }
            + [("head.weight", [outputs, hidden]), ("head.bias", [outputs])]
    }
}
