/// What a training session reports as it goes, for a caller to print or log.
public enum TrainingEvent {
    /// A step was taken: its number (1-based), the batch's loss, the learning rate it used, and
    /// the passes over the training data so far (nil where batches are drawn at random).
    case step(step: Int, loss: Float, learningRate: Float, epochs: Double?)
    /// An evaluation: its scores (`train_loss`, `train_accuracy`, `val_...`) and whether the
    /// selection found it better than every earlier one.
    case evaluation(Evaluation)
    /// The learning rate was lowered on a plateau, to `learningRate`.
    case learningRateLowered(step: Int, learningRate: Float)
    /// A checkpoint (model and training state) was written at `step`.
    case checkpoint(step: Int)
}

/// One evaluation of a run.
public struct Evaluation: Sendable {
    /// The step it followed (1-based), and the passes over the training data (nil where batches
    /// are drawn at random).
    public var step: Int, epochs: Double?
    /// Its scores by key: `train_loss` and `train_accuracy` (as trained since the last
    /// evaluation), and the task's held-out scores with a `val_` prefix.
    public var scores: [String: Double]
    /// Whether the selection ranks it above every earlier evaluation.
    public var isBest: Bool
}

/// Why a session's `run` returned.
public enum StopReason: Sendable, Equatable {
    /// The budget of steps was reached.
    case budget
    /// The selection's patience ran out: no better evaluation for that many evaluations.
    case patience
    /// The interrupt hook asked (a checkpoint was written first when a model path is set).
    case interrupted
}
