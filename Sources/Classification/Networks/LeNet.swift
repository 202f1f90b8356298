import Feedforward
import SeqTensor

/// `.cnn2d(height:width:)`, LeNet-style: a one-channel series of H*W steps read as an H x W image
/// (row by row), Conv2D(1 -> 16, 3x3) - ReLU - MaxPool(2x2) - Conv2D(16 -> 32, 3x3) - ReLU -
/// MaxPool(2x2) - Flatten - Dropout 0.25 - Linear.
final class LeNet: ClassifierNetwork {
    let net: Sequential
    let height: Int, width: Int

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        guard case .cnn2d(let height, let width) = architecture else { preconditionFailure("LeNet: \(architecture)") }
        (self.height, self.width) = (height, width)
        net = Sequential([
            Conv2D(inChannels: 1, outChannels: 16, kernel: (3, 3), padding: (1, 1), random: random),
            Activation(.relu), MaxPool2D(kernel: (2, 2)),
            Conv2D(inChannels: 16, outChannels: 32, kernel: (3, 3), padding: (1, 1), random: random),
            Activation(.relu), MaxPool2D(kernel: (2, 2)),
            Flatten(), Dropout(probability: 0.25, random: random),
            Linear(inFeatures: Self.features(height, width), outFeatures: classCount, random: random),
        ])
    }

    var children: [(String, any Module)] { [("net", net)] }

    static func features(_ height: Int, _ width: Int) -> Int { 32 * (height / 4) * (width / 4) }

    func logits(_ batch: SeriesBatch) -> Variable {
        net(Variable(batch.rows.reshaped([batch.count, 1, height, width])))
    }

    static func problem(_ architecture: Architecture, channels: Int, length: Int) -> String? {
        guard case .cnn2d(let height, let width) = architecture else { return nil }
        if channels != 1 { return "cnn2d reads one-channel series as images; these have \(channels) channels" }
        if height * width != length { return "cnn2d: a \(height)x\(width) image does not hold \(length) steps" }
        return features(height, width) > 0 ? nil : "cnn2d: \(height)x\(width) is too small for two 2x2 poolings"
    }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        guard case .cnn2d(let height, let width) = architecture else { return [] }
        return [
            ("net.0.weight", [16, 1, 3, 3]), ("net.0.bias", [16]), ("net.3.weight", [32, 16, 3, 3]),
            ("net.3.bias", [32]), ("net.8.weight", [classCount, features(height, width)]), ("net.8.bias", [classCount]),
        ]
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        steps * Double(16 * 9) + steps / 4 * Double(16 * 32 * 9)
    }
}
