import SeqTensor

/// How a model is trained, whatever the task: the optimizer and its hyperparameters, the learning
/// rate by step, clipping, the step budget, when to evaluate and checkpoint, which evaluation is
/// kept, when to stop early and when to lower the learning rate. Every task trains through a
/// `TrainingSession` with these options; each task's library defaults are its command's defaults.
public struct TrainingOptions: Sendable, Equatable {
    /// The optimizer, with PyTorch's defaults for what is not set here.
    public var optimizer: OptimizerKind = .adam
    /// SGD's and RMSprop's momentum (0: none).
    public var momentum: Float = 0
    /// The L2 penalty (AdamW's decoupled decay); nil: the optimizer's PyTorch default (AdamW 0.01,
    /// the others 0).
    public var weightDecay: Float? = nil
    /// The learning rate by step; its `base` is the learning rate.
    public var schedule: LearningRateSchedule
    /// Clip the global gradient norm to this (0: no clipping).
    public var clip: Float
    /// Optimizer steps in all (the run may stop sooner: `selection`'s patience, an interrupt).
    public var steps: Int
    /// Evaluate every this many steps, and at the end (0: only at the end).
    public var evaluateEvery: Int = 0
    /// Save a checkpoint (model and training state) every this many steps (0: never on the way).
    public var checkpointEvery: Int = 0
    /// Which evaluation's weights to keep, and when to stop early; nil: the last weights, no early stop.
    public var selection: Selection? = nil
    /// Lower the learning rate when a score stops improving (PyTorch's `ReduceLROnPlateau`).
    public var plateau: PlateauReduction? = nil
    /// On several ranks, check every this many steps that every rank holds the same weights (a
    /// hash of them, one small allreduce).
    public var consistencyCheckEvery = 200

    /// Options with a learning rate by step, a clip and a budget of steps; the rest as declared.
    public init(schedule: LearningRateSchedule, clip: Float, steps: Int) {
        (self.schedule, self.clip, self.steps) = (schedule, clip, steps)
    }

    /// The learning rate: the schedule's base.
    public var learningRate: Float {
        get { schedule.base }
        set { schedule.base = newValue }
    }

    /// A fresh optimizer of these settings over `parameters`.
    public func makeOptimizer(_ parameters: [Parameter]) -> Optimizer {
        optimizer.make(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    }
}

/// A score of an evaluation and which way is better: `train_loss`, `train_accuracy` (as trained,
/// since the last evaluation), or `val_` and a name the task's evaluation reports (`val_loss`,
/// `val_accuracy`).
public struct Score: Sendable, Equatable, Hashable {
    /// The score's key.
    public var key: String
    /// Whether a higher value is better (accuracy) or a lower one (loss).
    public var higherIsBetter: Bool

    /// A score by key and direction.
    public init(_ key: String, higherIsBetter: Bool) { (self.key, self.higherIsBetter) = (key, higherIsBetter) }

    /// The mean training loss since the last evaluation (lower is better).
    public static let trainLoss = Score("train_loss", higherIsBetter: false)
    /// The training accuracy since the last evaluation, as trained (higher is better).
    public static let trainAccuracy = Score("train_accuracy", higherIsBetter: true)
    /// The evaluation's loss on held-out data.
    public static let validationLoss = Score("val_loss", higherIsBetter: false)
    /// The evaluation's accuracy on held-out data.
    public static let validationAccuracy = Score("val_accuracy", higherIsBetter: true)
}

/// Model selection and early stopping (Keras's `ModelCheckpoint(save_best_only)` and
/// `EarlyStopping`): an evaluation is better when its scores are, compared in order (the second
/// breaks ties of the first, ...).
public struct Selection: Sendable, Equatable {
    /// The scores that rank evaluations, most important first.
    public var scores: [Score]
    /// Stop after this many evaluations without a better one (0: never stop early).
    public var patience: Int
    /// Whether the run ends with the weights of the best evaluation (otherwise the last ones).
    public var keepsBest: Bool

    /// Selection on `scores`, stopping after `patience` evaluations without a better one.
    public init(scores: [Score], patience: Int, keepsBest: Bool = true) {
        precondition(!scores.isEmpty, "Selection: no score to select on")
        (self.scores, self.patience, self.keepsBest) = (scores, patience, keepsBest)
    }

    /// Whether `candidate` is better than `best` (nil: nothing yet): the first score that differs
    /// decides; a missing score is never better.
    public func isBetter(_ candidate: [String: Double], than best: [String: Double]?) -> Bool {
        guard let best else { return scores.allSatisfy { candidate[$0.key]?.isNaN == false } }
        for score in scores {
            guard let c = candidate[score.key], let b = best[score.key], !c.isNaN else { return false }
            if c == b { continue }
            return score.higherIsBetter ? c > b : c < b
        }
        return false
    }
}

/// Lowers the learning rate when a score has not improved for a while, as PyTorch's
/// `ReduceLROnPlateau` does: an improvement is a relative change beyond `threshold`; after
/// `patience` evaluations without one, the rate is multiplied by `factor`, never below `minimum`.
public struct PlateauReduction: Sendable, Equatable {
    /// The score watched.
    public var score: Score
    /// The factor the rate is multiplied by at a plateau, in (0, 1).
    public var factor: Float
    /// Evaluations without an improvement before the rate is lowered.
    public var patience: Int
    /// The lowest learning rate it lowers to.
    public var minimum: Float
    /// The relative change that counts as an improvement (PyTorch's `threshold`, mode `rel`).
    public var threshold: Double = 1e-4

    /// A reduction watching `score`.
    public init(score: Score, factor: Float, patience: Int, minimum: Float) {
        precondition(factor > 0 && factor < 1, "PlateauReduction: factor \(factor) outside (0, 1)")
        (self.score, self.factor, self.patience, self.minimum) = (score, factor, patience, minimum)
    }

    /// Whether `value` improves on `best` by more than the threshold.
    func improves(_ value: Double, on best: Double?) -> Bool {
        guard let best else { return !value.isNaN }
        return score.higherIsBetter
            ? value > best * (best >= 0 ? 1 + threshold : 1 - threshold)
            : value < best * (best >= 0 ? 1 - threshold : 1 + threshold)
    }
}
