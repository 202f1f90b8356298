import Datasets
import Foundation
import SeqTensor

/// Minibatch training of a `SequenceClassifier` with softmax cross-entropy: rows shuffled every
/// epoch by the model's seeded generator, the learning rate from a schedule over all steps,
/// gradients clipped by global norm. Data-parallel on a `ProcessGroup`, each rank trains on its
/// part of every batch (the order drawn by rank 0) and the gradients are averaged.
public final class ClassifierTrainer {
    /// How to train: epochs, batch, optimizer, learning rate, clipping, early stopping.
    public struct Options: Sendable {
        /// Passes over the data at most, and rows per step.
        public var epochs = 150, batch = 32
        /// The optimizer, with its PyTorch defaults.
        public var optimizer: OptimizerKind = .adam
        /// The starting learning rate.
        public var learningRate: Float = 3e-3
        /// Cosine annealing to 0 over the whole run (otherwise constant).
        public var cosine = true
        /// Clip the global gradient norm to this (0: no clipping).
        public var clip: Float = 1
        /// Stop once training accuracy has been 100% for this many epochs in a row (0: never).
        public var patience = 0
        /// The defaults: 150 epochs, batch 32, Adam at 3e-3 annealed by cosine, clip 1.
        public init() {}
    }

    /// The model being trained.
    public let model: SequenceClassifier
    /// How it is trained.
    public let options: Options
    /// The optimizer over the model's parameters.
    public let optimizer: Optimizer
    /// The training rows.
    public let data: LabeledRows
    /// Epochs and steps taken.
    public private(set) var epoch = 0, step = 0
    let schedule: LearningRateSchedule
    var perfectEpochs = 0
    let averaging: GradientAverager

    /// A trainer of `model` on `data`, on the ranks of `group`.
    public init(
        model: SequenceClassifier, options: Options, data: LabeledRows, group: any ProcessGroup = SingleProcess()
    ) {
        self.model = model
        self.options = options
        self.data = data
        averaging = GradientAverager(group: group)
        model.random.generator = model.random.generator.stream(forRank: group.rank)
        optimizer = options.optimizer.make(model.parameters, learningRate: options.learningRate)
        let steps = options.epochs * ((data.count + options.batch - 1) / options.batch)
        schedule = LearningRateSchedule(
            base: options.learningRate, decay: options.cosine ? .cosine(totalSteps: steps, minimum: 0) : .constant)
    }

    /// One pass over the shuffled rows; returns the mean loss and the training accuracy of the pass
    /// (measured on the batches as they were trained, in training mode).
    public func trainEpoch() throws -> (loss: Float, accuracy: Double) {
        let (loss, accuracy) = try classifierEpoch(
            model, random: model.random, count: data.count, targets: data.labels, classCount: model.classCount,
            logits: { self.model.logits(self.data.features.gathering(rows: $0)) }, optimizer: optimizer,
            schedule: schedule, averaging: averaging, batch: options.batch, clip: options.clip, step: &step)
        epoch += 1
        perfectEpochs = accuracy == 1 ? perfectEpochs + 1 : 0
        return (loss, accuracy)
    }

    /// Whether early stopping says to stop now.
    public var shouldStop: Bool {
        epoch >= options.epochs || (options.patience > 0 && perfectEpochs >= options.patience)
    }
}

/// Accuracy, per-class accuracy and the confusion matrix of predictions against labels.
public struct ClassificationReport {
    /// The fraction of rows predicted right.
    public let accuracy: Double
    /// Accuracy on each true class (nil for a class with no examples).
    public let perClass: [Double?]
    /// confusion[true][predicted] counts.
    public let confusion: [[Int]]

    /// The report of `predictions` against `labels`.
    public init(predictions: [Int], labels: [Int], classCount: Int) {
        var confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (p, y) in zip(predictions, labels) where y < classCount && p < classCount { confusion[y][p] += 1 }
        self.confusion = confusion
        let correct = (0..<classCount).reduce(0) { $0 + confusion[$1][$1] }
        accuracy = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
        perClass = confusion.enumerated().map { k, row in
            let n = row.reduce(0, +)
            return n == 0 ? nil : Double(row[k]) / Double(n)
        }
    }

    /// The matrix as aligned text (rows: true class, columns: predicted class).
    public var confusionTable: String {
        let n = confusion.count
        let w = max(4, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        var lines = ["true\\pred" + (0..<n).map { pad(String($0)) }.joined()]
        for (k, row) in confusion.enumerated() {
            lines.append(
                pad(String(k)).padding(toLength: 9, withPad: " ", startingAt: 0) + row.map { pad(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
