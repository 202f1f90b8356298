import Feedforward
import SeqTensor

/// `.mlp(hidden:)`: dense layers with ReLU between them over each series flattened (T*C values,
/// step by step), then Linear to the classes. Named `net.0`, `net.2`, ... (a `Sequential`).
final class MLPNetwork: ClassifierNetwork {
    let net: Sequential

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        guard case .mlp(let hidden) = architecture else { preconditionFailure("MLPNetwork: \(architecture)") }
        var layers: [any Layer] = []
        var width = channels * length
        for h in hidden {
            layers += [Linear(inFeatures: width, outFeatures: h, random: random), Activation(.relu)]
            width = h
        }
        net = Sequential(layers + [Linear(inFeatures: width, outFeatures: classCount, random: random)])
    }

    var children: [(String, any Module)] { [("net", net)] }

    func logits(_ batch: SeriesBatch) -> Variable { net(Variable(batch.rows)) }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        guard case .mlp(let hidden) = architecture else { return [] }
        let widths = [channels * length] + hidden + [classCount]
        return (1..<widths.count).flatMap { k in
            [("net.\(2 * (k - 1)).weight", [widths[k], widths[k - 1]]), ("net.\(2 * (k - 1)).bias", [widths[k]])]
        }
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        guard case .mlp(let hidden) = architecture else { return nil }
        let widths = [Double(channels) * steps] + hidden.map(Double.init)
        return zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
