import Feedforward
import Foundation
import SeqTensor

/// `.miniRocket(features:maxDilations:)`: MiniRocket (Dempster, Schmidt & Webb 2021) as aeon's
/// MiniRocketClassifier has it, with series of any lengths and channels:
///
///     series (B, C, T) -> MiniRocketTransform -> PPV features (B, p) -> / s (FeatureScaling)
///                      -> Linear (p -> K) = ridge regression, penalty by leave-one-out
///
/// Fitted in closed form (`Classifier.fit`), not trained. Named `transform.biases` (p),
/// `scaler.scale` (p), `head.weight` (K, p), `head.bias` (K); the dilations, features per dilation
/// and channel combinations are in the metadata. The logits are the ridge scores (their softmax
/// is what `probabilities` gives; the ridge fit itself is not a probability model).
final class MiniRocketNetwork: FittedClassifierNetwork {
    let requestedFeatures: Int, maxDilations: Int, channels: Int, classCount: Int
    let transform: MiniRocketTransform
    let scaler: FeatureScaling
    let head: Linear
    /// The penalty the fit chose.
    private(set) var ridgeAlpha: Double?

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        guard case .miniRocket(let features, let maxDilations) = architecture else {
            preconditionFailure("MiniRocketNetwork: \(architecture)")
        }
        (requestedFeatures, self.maxDilations, self.channels, self.classCount) = (
            features, maxDilations, channels, classCount
        )
        let p = MiniRocketParameters.featureCount(requested: features)
        transform = MiniRocketTransform(featureCount: p)
        scaler = FeatureScaling(count: p)
        head = Linear(inFeatures: p, outFeatures: classCount, random: random)
    }

    var children: [(String, any Module)] { [("transform", transform), ("scaler", scaler), ("head", head)] }

    func logits(_ batch: SeriesBatch) -> Variable { head(Variable(scaler(transform(batch)))) }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        guard case .miniRocket(let features, _) = architecture else { return [] }
        let p = MiniRocketParameters.featureCount(requested: features)
        return [
            ("transform.biases", [p]), ("scaler.scale", [p]), ("head.weight", [classCount, p]),
            ("head.bias", [classCount]),
        ]
    }

    func fit(_ batch: SeriesBatch, targets: [Int], random: RandomSource) throws -> [String: Double] {
        let parameters = MiniRocketParameters.fit(
            batch, features: requestedFeatures, maxDilations: maxDilations, generator: &random.generator)
        transform.set(parameters)
        let features = transform(batch)
        var scaled = scaler.fit(features)
        let ridge = try RidgeClassifierCV(
            &scaled, rows: batch.count, columns: transform.featureCount, targets: targets, classCount: classCount)
        head.weight.value = Tensor(ridge.weight, shape: [classCount, transform.featureCount])
        head.bias?.value = Tensor(ridge.bias)
        ridgeAlpha = ridge.alpha
        // The training series' predictions from their features, as `Classifier.predict` makes them.
        let probabilities = Graph.withoutRecording { head(Variable(scaler(features))).softmax().value }
        let right = targets.enumerated().filter { i, k in
            Kernels.argmax(probabilities.pointer + i * classCount, count: classCount) == k
        }.count
        return [
            "features": Double(transform.featureCount), "dilations": Double(parameters.dilations.count),
            "ridge_alpha": ridge.alpha, "train_accuracy": Double(right) / Double(targets.count),
        ]
    }

    var fittedMetadata: [String: String] {
        guard let parameters = transform.parameters else { return [:] }
        var m = [
            "dilations": parameters.dilations.map(String.init).joined(separator: ","),
            "features_per_dilation": parameters.featuresPerDilation.map(String.init).joined(separator: ","),
            // Channels of one combination joined by "+", combinations by ",".
            "channel_combinations": parameters.combinations.map { $0.map(String.init).joined(separator: "+") }
                .joined(separator: ","),
        ]
        if let ridgeAlpha { m["ridge_alpha"] = String(ridgeAlpha) }
        return m
    }

    func restore(from metadata: [String: String], path: String) throws {
        func failure(_ problem: String) -> DataError { DataError(file: path, problem: "metadata " + problem) }
        func integers(_ key: String, limit: Int) throws -> [Int] {
            let fields = (metadata[key] ?? "").split(separator: ",", omittingEmptySubsequences: false)
            let values = fields.compactMap { Int($0) }
            guard !fields.isEmpty, values.count == fields.count, values.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
                throw failure("\(key) is missing or not a list of whole numbers in 1...\(limit)")
            }
            return values
        }
        let dilations = try integers("dilations", limit: 1 << 24)
        let perDilation = try integers("features_per_dilation", limit: 1 << 20)
        let p = transform.featureCount
        guard perDilation.count == dilations.count, MiniRocketParameters.kernelCount * perDilation.reduce(0, +) == p
        else {
            throw failure("features_per_dilation does not give \(p) features over \(dilations.count) dilations")
        }
        let groups = (metadata["channel_combinations"] ?? "").split(separator: ",", omittingEmptySubsequences: false)
        guard groups.count == MiniRocketParameters.kernelCount * dilations.count else {
            throw failure("channel_combinations does not hold 84 combinations per dilation")
        }
        let combinations = try groups.map { group in
            let channels = group.split(separator: "+", omittingEmptySubsequences: false).map { Int($0) }
            guard !channels.isEmpty, channels.allSatisfy({ ($0 ?? -1) >= 0 && ($0 ?? -1) < self.channels }),
                Set(channels).count == channels.count
            else {
                throw failure("channel_combinations: \"\(group)\" is not distinct channels of 0...\(self.channels - 1)")
            }
            return channels.map { $0! }
        }
        transform.set(
            MiniRocketParameters(
                dilations: dilations, featuresPerDilation: perDilation, combinations: combinations,
                biases: transform.biases.value.scalars))
        ridgeAlpha = metadata["ridge_alpha"].flatMap(Double.init)
    }
}
