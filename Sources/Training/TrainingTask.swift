import Feedforward
import SeqTensor

/// What a task gives the training session: its model, its batches and its evaluation, and the
/// state of its data and randomness for an exact resume. The session does the rest (optimizer,
/// schedule, clipping, gradient averaging over ranks, evaluation cadence, selection, early stop,
/// checkpoints, interrupt, progress events), the same for every task.
public protocol TrainingTask: AnyObject {
    /// The model trained: its parameters are optimized, its `stateDict` checkpointed (and kept at
    /// the best evaluation when a selection asks).
    var trainedModel: any Module { get }

    /// The model file's metadata (`format`, architecture, vocabulary, ...), written with every
    /// checkpoint of the model.
    var modelMetadata: [String: String] { get }

    /// The training state's `state_format`, which a resumed run checks.
    var stateFormat: String { get }

    /// Steps in one pass over the training data, for progress in epochs; nil where batches are
    /// drawn at random.
    var stepsPerEpoch: Int? { get }

    /// The loss of the batch for step `step` (0-based) on this rank, and this rank's share of the
    /// batch. Called in training mode; the session backpropagates and steps the optimizer.
    func batch(step: Int) throws -> TrainingBatch

    /// Scores held-out data in inference mode: named values (`loss`, `accuracy`, ...; the session
    /// prefixes them with `val_`), empty when there is nothing to score. Collective on several ranks.
    func evaluate() -> [String: Double]

    /// Adds what a resumed run needs of the data and randomness (data position, generators,
    /// carried state) to `checkpoint`. Collective on several ranks (rank 0's is the one written).
    func saveState(into checkpoint: inout TrainingCheckpoint)

    /// Restores what `saveState` wrote; errors name `checkpoint.path`.
    func restoreState(from checkpoint: TrainingCheckpoint) throws
}

extension TrainingTask {
    public var stepsPerEpoch: Int? { nil }
    public func evaluate() -> [String: Double] { [:] }
}

/// One training batch as a task hands it to the session.
public struct TrainingBatch {
    /// The batch's mean loss on this rank's part of it (nil when this rank has no part of it).
    public var loss: Variable?
    /// This rank's part of the batch, n_r / n (1 in one process): its gradient's weight.
    public var share: Float
    /// Items in the whole batch (all ranks): the weight of its loss in a mean over steps.
    public var size: Int
    /// This rank's right predictions in the batch, for tasks that classify (the training
    /// accuracy as trained).
    public var correct: Int?
    /// A batch whose loss is `loss`, of `size` items, `share` of them this rank's.
    public init(loss: Variable?, share: Float = 1, size: Int = 1, correct: Int? = nil) {
        (self.loss, self.share, self.size, self.correct) = (loss, share, size, correct)
    }
}
