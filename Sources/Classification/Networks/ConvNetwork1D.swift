import Feedforward
import SeqTensor

/// `.cnn1d`: Conv1D(C -> 16, 5) - ReLU - MaxPool(2) - Conv1D(16 -> 32, 5) - ReLU - MaxPool(2) -
/// Flatten - Linear over series of one length L ("same" padding, so 32 * L/4 features).
final class ConvNetwork1D: ClassifierNetwork {
    let net: Sequential

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        net = Sequential([
            Conv1D(inChannels: channels, outChannels: 16, kernelSize: 5, padding: 2, random: random),
            Activation(.relu), MaxPool1D(kernel: 2),
            Conv1D(inChannels: 16, outChannels: 32, kernelSize: 5, padding: 2, random: random), Activation(.relu),
            MaxPool1D(kernel: 2),
            Flatten(), Linear(inFeatures: 32 * (length / 4), outFeatures: classCount, random: random),
        ])
    }

    var children: [(String, any Module)] { [("net", net)] }

    func logits(_ batch: SeriesBatch) -> Variable { net(Variable(batch.channelMajor)) }

    static func problem(_ architecture: Architecture, channels: Int, length: Int) -> String? {
        length / 4 > 0 ? nil : "cnn1d: series of \(length) steps are too short for two pooling steps (at least 4)"
    }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        [
            ("net.0.weight", [16, channels, 5]), ("net.0.bias", [16]), ("net.3.weight", [32, 16, 5]),
            ("net.3.bias", [32]), ("net.7.weight", [classCount, 32 * (length / 4)]), ("net.7.bias", [classCount]),
        ]
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        steps * Double(channels * 16 * 5) + steps / 2 * Double(16 * 32 * 5)
    }
}
