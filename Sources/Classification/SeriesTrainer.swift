import Datasets
import Feedforward
import Foundation
import SeqTensor

/// Training of a `SeriesClassifier` with model selection: minibatches of shuffled series
/// (padded to the longest of each batch), cross-entropy, clipping, a cosine learning rate; after
/// every epoch the accuracy on a validation split taken from the training data (never the test
/// data), keeping the weights of the best epoch and stopping after `patience` epochs without a
/// better one. Data-parallel on a `ProcessGroup`, each rank trains on its part of every batch
/// (the order drawn by rank 0), the gradients and batch norm's running statistics are averaged,
/// and every rank scores the whole validation split.
public final class SeriesTrainer {
    /// How to train.
    public struct Options: Sendable {
        /// Passes over the training series at most, and series per step.
        public var epochs = 200, batch = 16
        /// The optimizer, with its PyTorch defaults.
        public var optimizer: OptimizerKind = .adam
        /// The starting learning rate (annealed to 0 by a cosine over `epochs`).
        public var learningRate: Float = 1e-3
        /// Clip the global gradient norm to this (0: no clipping).
        public var clip: Float = 1
        /// Stop after this many epochs without a better validation accuracy (0: never).
        public var patience = 50
        /// The defaults: 200 epochs, batch 16, Adam at 1e-3 annealed by cosine, clip 1, patience 50.
        public init() {}
    }

    /// The model being trained.
    public let model: SeriesClassifier
    /// How it is trained.
    public let options: Options
    /// The optimizer over the model's parameters.
    public let optimizer: Optimizer
    /// The series trained on, and the ones the model is selected on (nil: the last epoch is kept).
    public let training: LabeledSeries, validation: LabeledSeries?
    /// Epochs taken, and the epoch whose weights are kept.
    public private(set) var epoch = 0, bestEpoch = 0
    /// The kept epoch's validation accuracy and loss (-1 and infinity before the first epoch).
    public private(set) var bestValidationAccuracy = -1.0, bestValidationLoss = Double.infinity
    let targets: [Int]
    let schedule: LearningRateSchedule
    var step = 0
    var best: [Tensor] = []
    let averaging: GradientAverager

    /// A trainer of `model` on `training` (labelled with the model's class names), selected on
    /// `validation`, on the ranks of `group`.
    public init(
        model: SeriesClassifier, options: Options, training: LabeledSeries, validation: LabeledSeries?,
        group: any ProcessGroup = SingleProcess()
    ) {
        (self.model, self.options, self.training, self.validation) = (model, options, training, validation)
        averaging = GradientAverager(group: group)
        model.random.generator = model.random.generator.stream(forRank: group.rank)
        targets = model.classIndices(training.labels ?? [])
        precondition(targets.count == training.count, "SeriesTrainer: every training series needs a known label")
        optimizer = options.optimizer.make(model.parameters, learningRate: options.learningRate)
        let steps = options.epochs * ((training.count + options.batch - 1) / options.batch)
        schedule = LearningRateSchedule(base: options.learningRate, decay: .cosine(totalSteps: steps, minimum: 0))
    }

    /// One pass over the shuffled training series; returns the mean loss, the training accuracy
    /// of the pass (as trained, in training mode) and the validation accuracy after it.
    public func trainEpoch() throws -> (loss: Float, accuracy: Double, validationAccuracy: Double?) {
        let (loss, accuracy) = try classifierEpoch(
            model, random: model.random, count: training.count, targets: targets, classCount: model.classCount,
            logits: { self.model.logits(self.training, $0) }, optimizer: optimizer, schedule: schedule,
            averaging: averaging, batch: options.batch, clip: options.clip, step: &step)
        epoch += 1
        var validationAccuracy: Double? = nil
        if let validation {
            // The best epoch: the highest validation accuracy, and among equals the lowest
            // validation loss (a few validation series often reach 100% early and stay there).
            let (accuracy, loss) = model.evaluate(on: validation)
            validationAccuracy = accuracy
            if accuracy > bestValidationAccuracy || (accuracy == bestValidationAccuracy && loss < bestValidationLoss) {
                (bestValidationAccuracy, bestValidationLoss, bestEpoch) = (accuracy, loss, epoch)
                best = model.stateDict.map(\.1.value)
            }
        }
        return (loss, accuracy, validationAccuracy)
    }

    /// Whether training should end: all epochs done, or `patience` epochs since the best one.
    /// (An epoch that only lowers the validation loss counts as better.)
    public var shouldStop: Bool {
        epoch >= options.epochs || (validation != nil && options.patience > 0 && epoch - bestEpoch >= options.patience)
    }

    /// Puts back the weights (and batch-norm statistics) of the best validation epoch.
    public func restoreBest() {
        guard !best.isEmpty else { return }
        for ((_, v), value) in zip(model.stateDict, best) { v.value = value }
    }
}

extension SeriesClassifier {
    /// The class index of each label (labels the model does not know are left out: check first
    /// with `unknownLabels`).
    public func classIndices(_ labels: [String]) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        return labels.compactMap { index[$0] }
    }

    /// The labels of `data` that are not among the model's classes, in order of appearance.
    public func unknownLabels(_ data: LabeledSeries) -> [String] {
        let known = Set(classNames)
        var seen = Set<String>(), out: [String] = []
        for label in data.labels ?? [] where !known.contains(label) && seen.insert(label).inserted { out.append(label) }
        return out
    }

    /// Predicted class index of every series, in inference mode.
    public func predict(_ data: LabeledSeries) -> [Int] {
        probabilities(data).map { p in p.withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: p.count) } }
    }

    /// The fraction of `data`'s series whose label is predicted.
    public func accuracy(on data: LabeledSeries) -> Double { evaluate(on: data).accuracy }

    /// The accuracy and the mean cross-entropy (nats) on `data`'s labelled series, in inference mode.
    public func evaluate(on data: LabeledSeries) -> (accuracy: Double, loss: Double) {
        let truth = classIndices(data.labels ?? [])
        guard truth.count == data.count, !truth.isEmpty else { return (0, .nan) }
        var right = 0, loss = 0.0
        for (i, p) in probabilities(data).enumerated() {
            let predicted = p.withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: p.count) }
            if predicted == truth[i] { right += 1 }
            loss -= Double(Foundation.log(max(p[truth[i]], Float.leastNormalMagnitude)))
        }
        return (Double(right) / Double(truth.count), loss / Double(truth.count))
    }
}
