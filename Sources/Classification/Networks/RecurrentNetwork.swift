import Feedforward
import Recurrent
import SeqTensor

/// `.recurrent(cell:hidden:layers:bidirectional:)`, many-to-one: every k-th step of each series
/// through a stack of recurrent layers (each series ending at its own last step), the last
/// layer's final state (both directions concatenated) -> Linear. An LSTM starts with forget-gate
/// bias 1, so that a fresh one remembers by default.
final class RecurrentNetwork: ClassifierNetwork {
    let rnn: any RecurrentStack
    let head: Linear

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        guard case .recurrent(let cell, let hidden, let layers, let bidirectional) = architecture else {
            preconditionFailure("RecurrentNetwork: \(architecture)")
        }
        rnn = cell.makeLayer(
            inputSize: channels, hiddenSize: hidden, numLayers: layers, bidirectional: bidirectional,
            forgetGateBias: 1, random: random)
        head = Linear(inFeatures: hidden * rnn.directions, outFeatures: classCount, random: random)
    }

    var children: [(String, any Module)] { [("rnn", rnn), ("head", head)] }

    func logits(_ batch: SeriesBatch) -> Variable { head(Self.finalState(rnn, batch)) }

    /// The last layer's final states (B, D*H) of `rnn` over `batch`'s every k-th step.
    static func finalState(_ rnn: any RecurrentStack, _ batch: SeriesBatch) -> Variable {
        let (x, lengths) = batch.timeMajor()
        let full = lengths.allSatisfy { $0 == x.shape[0] }
        let (_, state) = rnn(Variable(x), state: nil, lengths: full ? nil : lengths)
        // h is (L*D, B, H), layer-major, so the last layer's D directions are the last D entries; a
        // reverse direction ends at each series' first step.
        let (B, H, L, D) = (batch.count, rnn.hiddenSize, rnn.numLayers, rnn.directions)
        let last = state.h.slice((L * D - D)..<(L * D))
        return D == 1
            ? last.reshaped([B, H]) : concatenateLastAxis([last.slice(0..<1), last.slice(1..<2)]).reshaped([B, 2 * H])
    }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        guard case .recurrent(let cell, let hidden, let layers, let bidirectional) = architecture else { return [] }
        let features = hidden * (bidirectional ? 2 : 1)
        return cell.parameterShapes(
            inputSize: channels, hiddenSize: hidden, numLayers: layers, bidirectional: bidirectional
        ).map { ("rnn." + $0.0, $0.1) } + [("head.weight", [classCount, features]), ("head.bias", [classCount])]
    }

    /// One multiply-add per weight of the stack at every step it reads.
    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        guard case .recurrent(let cell, let hidden, let layers, let bidirectional) = architecture else { return nil }
        let weights = cell.parameterShapes(
            inputSize: channels, hiddenSize: hidden, numLayers: layers, bidirectional: bidirectional
        ).filter { $0.1.count == 2 }.reduce(0) { $0 + $1.1.reduce(1, *) }
        return (steps / Double(max(subsample, 1))).rounded(.up) * Double(weights)
    }
}
