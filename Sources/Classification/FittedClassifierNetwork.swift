import Datasets
import SeqTensor

/// A classifier network solved from the training series in closed form rather than trained by
/// gradient steps: MiniRocket (a transform fitted to the data, then ridge regression with its
/// penalty chosen by leave-one-out). `Classifier.fit` fits it; `ClassifierTraining` and the
/// training session are for the others.
///
/// This is the seam between the two kinds of model, kept small on purpose: the network still
/// maps a `SeriesBatch` to logits and is saved, loaded and predicted as every classifier is; it
/// adds only the fit, and the settings that are not tensors (which go in the model file's metadata).
public protocol FittedClassifierNetwork: ClassifierNetwork {
    /// Solves every parameter from `batch` (all the training series, as the classifier reads them)
    /// and their class indices `targets`, drawing what is random from `random`. Returns what the
    /// fit chose, by name, for reports (MiniRocket: `features`, `dilations`, `ridge_alpha`), and
    /// `train_accuracy`, the fitted model's accuracy on `batch`.
    func fit(_ batch: SeriesBatch, targets: [Int], random: RandomSource) throws -> [String: Double]

    /// The fitted settings that are not tensors, for the model file's metadata (empty unfitted).
    var fittedMetadata: [String: String] { get }

    /// Takes the fitted settings from a model file's `metadata` (its tensors are loaded already);
    /// a missing or malformed one is an error naming the file `path` and the key.
    func restore(from metadata: [String: String], path: String) throws
}

extension Architecture {
    /// Whether the network is solved in closed form by `Classifier.fit` (MiniRocket) rather than
    /// trained by gradient steps in a `TrainingSession`.
    public var isFitted: Bool { network is any FittedClassifierNetwork.Type }
}

extension Classifier {
    /// Fits a closed-form classifier (`architecture.isFitted`: MiniRocket) to `data`, every series
    /// labelled with one of `classNames`, on the values as `batch` gives them (standardised only if
    /// `standardise(from:)` was called; MiniRocket reads raw values, as its authors' code does).
    /// Returns what the fit chose, by name (MiniRocket: `features`, `dilations`, `ridge_alpha`), and
    /// `train_accuracy`, the fitted model's accuracy on `data`.
    ///
    ///     let model = Classifier(
    ///         .miniRocket(), channels: 1, length: nil, classNames: names, random: RandomSource(seed: 1))
    ///     try model.fit(training)
    ///     let accuracy = model.evaluate(on: test).accuracy
    @discardableResult
    public func fit(_ data: LabeledSeries) throws -> [String: Double] {
        guard let network = network as? any FittedClassifierNetwork else {
            preconditionFailure(
                "Classifier.fit: \(architecture.name) is trained by gradient steps (ClassifierTraining)")
        }
        precondition(data.count > 0, "Classifier.fit: no series")
        let targets = classIndices(data.labels ?? [])
        precondition(targets.count == data.count, "Classifier.fit: every series needs one of the model's class labels")
        return try network.fit(batch(data, Array(0..<data.count)), targets: targets, random: random)
    }
}
