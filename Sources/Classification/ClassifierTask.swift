import Datasets
import Feedforward
import SeqTensor
import Training

/// A classifier's training task: epochs over the training series in an order drawn anew each
/// epoch, dealt into minibatches of at most `batchSize` series whose sizes differ by at most one
/// (50 series of batch 16 train as 12, 13, 12, 13: a last batch of 2 would give batch norm the
/// statistics of 2), each padded to its longest series, softmax cross-entropy; the training
/// accuracy as trained, and the accuracy and loss on validation series when there are any. A
/// `TrainingSession` runs it (`ClassifierTraining` sets one up as `seqtool classify` does).
///
/// Data-parallel on a `ProcessGroup`: rank 0 draws each epoch's order, every rank trains on its
/// part of each batch and scores every validation series.
public final class ClassifierTask: TrainingTask {
    /// The model being trained.
    public let model: Classifier
    /// The series trained on, and the ones scored at each evaluation (nil: none).
    public let training: LabeledSeries, validation: LabeledSeries?
    /// The most series per step (all ranks together).
    public let batchSize: Int
    /// The ranks training together (`SingleProcess` unless data-parallel).
    public let group: any ProcessGroup
    let targets: [Int]
    /// This epoch's order of the training series.
    var order: [Int] = []

    /// A task training `model` on `training` (every label one of the model's classes), `batch`
    /// series a step, scored on `validation`, on the ranks of `group`.
    public init(
        model: Classifier, training: LabeledSeries, validation: LabeledSeries?, batch: Int,
        group: any ProcessGroup = SingleProcess()
    ) {
        precondition(batch > 0 && training.count > 0, "ClassifierTask: no series or an empty batch")
        (self.model, self.training, self.validation, batchSize, self.group) = (
            model, training, validation, batch, group
        )
        targets = model.classIndices(training.labels ?? [])
        precondition(targets.count == training.count, "ClassifierTask: every training series needs a known label")
        // The other ranks draw their dropout masks from streams of their own.
        model.random.generator = model.random.generator.stream(forRank: group.rank)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] { model.metadata }
    public var stateFormat: String { "seqtool.classifier-state.v1" }
    public var stepsPerEpoch: Int? { (training.count + batchSize - 1) / batchSize }

    public func batch(step: Int) throws -> TrainingBatch {
        let steps = stepsPerEpoch!, k = step % steps, n = training.count
        if k == 0 || order.isEmpty { order = group.permutation(n, drawnBy: &model.random.generator) }
        let items = order[(k * n / steps)..<((k + 1) * n / steps)]
        let (mine, share) = group.share(of: items)
        let y = mine.map { targets[$0] }
        let logits = mine.isEmpty ? nil : model.logits(training, mine)
        var correct = 0
        if let l = logits?.value {
            for (r, label) in y.enumerated()
            where Kernels.argmax(l.pointer + r * model.classCount, count: model.classCount) == label {
                correct += 1
            }
        }
        return TrainingBatch(
            loss: logits.map { crossEntropy(logits: $0, targets: y) }, share: share, size: items.count, correct: correct
        )
    }

    /// The accuracy and loss on the validation series, when there are any.
    public func evaluate() -> [String: Double] {
        guard let validation else { return [:] }
        let (accuracy, loss) = model.evaluate(on: validation)
        return ["accuracy": accuracy, "loss": loss]
    }

    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.saveGenerators(model.random.generator, group: group)
        checkpoint.metadata["order"] = order.map(String.init).joined(separator: ",")
        checkpoint.metadata["batch"] = String(batchSize)
        checkpoint.metadata["series"] = String(training.count)
    }

    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        try checkpoint.requireSame([("batch", String(batchSize)), ("series", String(training.count))])
        let order = (checkpoint.metadata["order"] ?? "").split(separator: ",").compactMap { Int($0) }
        guard order.isEmpty || Set(order) == Set(0..<training.count) else {
            throw checkpoint.failure("metadata order is not an order of the \(training.count) training series")
        }
        model.random.generator = try checkpoint.generator(for: group)
        self.order = order
    }
}
