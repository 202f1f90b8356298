import Feedforward
import Recurrent
import SeqTensor

/// `.lstmFCN(hidden:)`, LSTM-FCN (Karim et al. 2018): an LSTM over every k-th step of the series
/// (its final state through dropout 0.8) beside the FCN's convolutions over every step; the two
/// feature vectors concatenated, then Linear.
final class LSTMFCN: ClassifierNetwork {
    let rnn: any RecurrentStack
    let dropout: Dropout
    let body: ConvolutionBlocks
    let head: Linear

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        guard case .lstmFCN(let hidden) = architecture else { preconditionFailure("LSTMFCN: \(architecture)") }
        rnn = CellKind.lstm.makeLayer(inputSize: channels, hiddenSize: hidden, forgetGateBias: 1, random: random)
        dropout = Dropout(probability: 0.8, random: random)
        body = ConvolutionBlocks(channels: channels, random: random)
        head = Linear(inFeatures: hidden + body.features, outFeatures: classCount, random: random)
    }

    var children: [(String, any Module)] { [("rnn", rnn)] + body.children + [("dropout", dropout), ("head", head)] }

    func logits(_ batch: SeriesBatch) -> Variable {
        head(concatenateLastAxis([dropout(RecurrentNetwork.finalState(rnn, batch)), body(batch)]))
    }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        guard case .lstmFCN(let hidden) = architecture else { return [] }
        return CellKind.lstm.parameterShapes(inputSize: channels, hiddenSize: hidden, numLayers: 1).map {
            ("rnn." + $0.0, $0.1)
        } + ConvolutionBlocks.stateShapes(channels: channels)
            + [("head.weight", [classCount, hidden + ConvolutionBlocks.filters.last!]), ("head.bias", [classCount])]
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        guard case .lstmFCN(let hidden) = architecture else { return nil }
        let lstm = RecurrentNetwork.forwardMultiplyAdds(
            .recurrent(cell: .lstm, hidden: hidden, layers: 1), channels: channels, steps: steps, subsample: subsample)
        return steps * ConvolutionBlocks.multiplyAddsPerStep(channels: channels) + (lstm ?? 0)
    }
}
