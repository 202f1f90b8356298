import Feedforward
import Foundation
import SeqTensor

/// The loop every task trains through: one optimizer step per batch the task hands over, the
/// learning rate from the schedule (lowered on a plateau when asked), clipping, gradient averaging
/// over the ranks of a data-parallel job, evaluation every few steps, selection of the best
/// evaluation and early stopping, checkpoints with exact resume, a divergence stop, an interrupt
/// hook and progress events.
///
///     let session = TrainingSession(task: task, options: options)
///     session.onEvent = { event in print(event) }
///     let reason = try session.run()
///
/// One process or several: on a `ProcessGroup` of N ranks each rank runs the same session on its
/// share of every batch (the task hands over its part), and the gradients (and any buffers, such
/// as batch norm's running statistics) are averaged before clipping, so every rank applies the
/// same update.
public final class TrainingSession {
    /// What is trained.
    public let task: any TrainingTask
    /// How it is trained.
    public let options: TrainingOptions
    /// The optimizer over the task's model.
    public let optimizer: Optimizer
    /// The ranks training together (`SingleProcess` unless data-parallel).
    public let group: any ProcessGroup
    /// The gradients' averaging over `group` (and the time its allreduces took).
    public let averaging: GradientAverager
    /// Steps taken so far.
    public private(set) var step = 0
    /// The loss curves so far.
    public private(set) var curves = LossCurves()
    /// The latest evaluation, and the best one by the selection (nil before the first).
    public private(set) var lastEvaluation: Evaluation?, bestEvaluation: Evaluation?
    /// Evaluations since the best one.
    public private(set) var evaluationsSinceBest = 0
    /// What the plateau reduction has multiplied the scheduled learning rate by so far.
    public private(set) var learningRateFactor: Float = 1

    /// The model file checkpoints write (with the training state beside it), if any.
    public var checkpointPath: String?
    /// Metadata added to every model file and checkpoint written (the corpus's name, say).
    public var checkpointMetadata: [String: String] = [:]
    /// Asked after every step; true stops the run (after a checkpoint, when `checkpointPath` is set).
    public var interruptRequested: () -> Bool = { false }
    /// Called with every event, in order.
    public var onEvent: (TrainingEvent) -> Void = { _ in }

    private let model: any Module
    private let buffers: [Variable]
    private var bestWeights: [Tensor] = []
    private var plateauBest: Double?, plateauSince = 0
    /// Sums since the last evaluation: loss weighted by batch size, items, right predictions.
    private var intervalLoss = 0.0, intervalSize = 0, intervalCorrect = 0, intervalHasCorrect = false
    private var lastEvaluatedStep = -1

    /// A session training `task` with `options`, on the ranks of `group`.
    public init(task: any TrainingTask, options: TrainingOptions, group: any ProcessGroup = SingleProcess()) {
        precondition(options.steps > 0, "TrainingSession: the budget must be at least one step")
        self.task = task
        self.options = options
        self.group = group
        model = task.trainedModel
        optimizer = options.makeOptimizer(model.parameters)
        averaging = GradientAverager(group: group)
        buffers = model.namedBuffers.map(\.1)
    }

    /// Passes over the training data after `step` steps (nil where batches are drawn at random).
    public func epochs(at step: Int) -> Double? { task.stepsPerEpoch.map { Double(step) / Double(max($0, 1)) } }

    /// The learning rate the next step uses.
    public var learningRate: Float { options.schedule.rate(at: step) * learningRateFactor }

    /// One optimizer step on the task's next batch; returns the batch's loss. Throws
    /// `DivergenceError` (leaving the weights as they were) when the loss or the gradient is not finite.
    @discardableResult
    public func trainStep() throws -> Float {
        model.isTraining = true
        if group.size > 1 && step % options.consistencyCheckEvery == 0 {
            try group.checkIdentical(model.stateDict.map(\.1), step: step)
        }
        optimizer.learningRate = learningRate
        let batch = try task.batch(step: step)
        let loss = try optimizer.minimize(
            batch.loss, clip: options.clip, step: step + 1, averaging: averaging, share: batch.share
        ).loss
        if !buffers.isEmpty { averaging.average(buffers, share: batch.share) }
        step += 1
        curves.train.append((step, loss))
        intervalLoss += Double(loss) * Double(batch.size)
        intervalSize += batch.size
        if let correct = batch.correct {
            intervalCorrect += correct
            intervalHasCorrect = true
        }
        onEvent(.step(step: step, loss: loss, learningRate: optimizer.learningRate, epochs: epochs(at: step)))
        return loss
    }

    /// Scores the model now: the training loss and accuracy since the last evaluation, and the
    /// task's held-out scores; updates the selection, the plateau reduction and the curves.
    /// Collective on several ranks.
    @discardableResult
    public func evaluate() -> Evaluation {
        var scores: [String: Double] = [:]
        if intervalSize > 0 { scores[Score.trainLoss.key] = intervalLoss / Double(intervalSize) }
        if intervalHasCorrect {
            let correct = group.size > 1 ? group.sum([Double(intervalCorrect)])[0] : Double(intervalCorrect)
            scores[Score.trainAccuracy.key] = correct / Double(max(intervalSize, 1))
        }
        for (key, value) in task.evaluate() { scores["val_" + key] = value }
        (intervalLoss, intervalSize, intervalCorrect, intervalHasCorrect) = (0, 0, 0, false)
        lastEvaluatedStep = step
        if let loss = scores[Score.validationLoss.key] { curves.validation.append((step, Float(loss))) }

        var isBest = false
        if let selection = options.selection {
            isBest = selection.isBetter(scores, than: bestEvaluation?.scores)
            if isBest {
                evaluationsSinceBest = 0
                if selection.keepsBest { bestWeights = model.stateDict.map(\.1.value) }
            } else {
                evaluationsSinceBest += 1
            }
        }
        let evaluation = Evaluation(step: step, epochs: epochs(at: step), scores: scores, isBest: isBest)
        if isBest { bestEvaluation = evaluation }
        lastEvaluation = evaluation
        onEvent(.evaluation(evaluation))
        if let plateau = options.plateau, let value = scores[plateau.score.key] { watchPlateau(plateau, value) }
        return evaluation
    }

    /// The plateau reduction's bookkeeping after an evaluation scored `value`.
    private func watchPlateau(_ plateau: PlateauReduction, _ value: Double) {
        if plateau.improves(value, on: plateauBest) {
            (plateauBest, plateauSince) = (value, 0)
            return
        }
        plateauSince += 1
        guard plateauSince > plateau.patience else { return }
        plateauSince = 0
        let base = options.schedule.rate(at: step)
        let lowered = max(base * learningRateFactor * plateau.factor, plateau.minimum)
        guard lowered < base * learningRateFactor else { return }
        learningRateFactor = lowered / base
        onEvent(.learningRateLowered(step: step, learningRate: lowered))
    }

    /// Whether the selection's patience has run out.
    public var patienceExhausted: Bool {
        guard let selection = options.selection, selection.patience > 0 else { return false }
        return evaluationsSinceBest >= selection.patience
    }

    /// Trains until the budget is spent, the selection's patience runs out or the interrupt hook
    /// asks; evaluates every `evaluateEvery` steps and at the end, checkpoints every
    /// `checkpointEvery` steps (and before returning on an interrupt), and ends with the best
    /// evaluation's weights when the selection keeps them (not on an interrupt: a resumed run
    /// continues from the last ones). Returns why it stopped.
    @discardableResult
    public func run() throws -> StopReason {
        while step < options.steps {
            try trainStep()
            if options.evaluateEvery > 0, step % options.evaluateEvery == 0, step < options.steps {
                evaluate()
                if patienceExhausted { break }
            }
            if options.checkpointEvery > 0, step % options.checkpointEvery == 0, checkpointPath != nil {
                try checkpoint()
            }
            if interruptRequested() {
                if checkpointPath != nil { try checkpoint() }
                return .interrupted
            }
        }
        if lastEvaluatedStep != step { evaluate() }
        restoreBest()
        return patienceExhausted && step < options.steps ? .patience : .budget
    }

    /// Puts back the weights (and buffers) of the best evaluation, when the selection keeps them.
    public func restoreBest() {
        guard !bestWeights.isEmpty else { return }
        for ((_, v), value) in zip(model.stateDict, bestWeights) { v.value = value }
    }

    /// The metadata every model file of this run carries: the task's, the caller's, and a summary
    /// of the training (steps, last losses, optimizer, learning rate, ranks, epochs).
    public var summaryMetadata: [String: String] {
        var m = task.modelMetadata.merging(checkpointMetadata) { $1 }
        m["steps"] = String(step)
        m["train_loss"] = curves.train.last.map { String($0.loss) } ?? ""
        m["val_loss"] = curves.validation.last.map { String($0.loss) } ?? ""
        m["optimizer"] = options.optimizer.rawValue
        m["lr"] = String(options.learningRate)
        m["ranks"] = String(group.size)
        if let perEpoch = task.stepsPerEpoch, perEpoch > 0 {
            m["epochs"] = step % perEpoch == 0 ? String(step / perEpoch) : String(Double(step) / Double(perEpoch))
            if let best = bestEvaluation, !bestWeights.isEmpty {
                m["best_epoch"] = String(best.step / perEpoch)
            }
        }
        return m
    }

    /// Writes the model file (the best evaluation's weights when the selection keeps them) with
    /// `summaryMetadata` and `extra`, atomically; on several ranks rank 0 writes.
    public func saveModel(to path: String, extra: [String: String] = [:]) throws {
        guard group.isMain else { return }
        let state = model.stateDict
        let current = state.map(\.1.value)
        if !bestWeights.isEmpty { for ((_, v), value) in zip(state, bestWeights) { v.value = value } }
        defer { for ((_, v), value) in zip(state, current) { v.value = value } }
        try model.save(to: path, metadata: summaryMetadata.merging(extra) { $1 })
    }

    /// Writes the training state (beside `checkpointPath`), then the model, each atomically: a kill
    /// between the two writes leaves a state that resumes. Collective on several ranks.
    public func checkpoint() throws {
        guard let modelPath = checkpointPath else { return }
        var state = TrainingCheckpoint(path: TrainingCheckpoint.statePath(forModel: modelPath))
        task.saveState(into: &state)
        guard group.isMain else { return }
        for (name, v) in model.stateDict { state.tensors[name] = v.value }
        for (key, t) in optimizer.state { state.tensors["optimizer.\(key)"] = t }
        for ((name, _), value) in zip(model.stateDict, bestWeights) { state.tensors["best.\(name)"] = value }
        var m = summaryMetadata.merging(curves.metadata) { $1 }
        m["state_format"] = task.stateFormat
        m["step"] = String(step)
        m["last_evaluated"] = String(lastEvaluatedStep)
        if let best = bestEvaluation {
            m["best_step"] = String(best.step)
            m["best_scores"] = Self.encode(best.scores)
            m["evaluations_since_best"] = String(evaluationsSinceBest)
        }
        if options.plateau != nil {
            m["lr_factor"] = String(learningRateFactor)
            m["plateau_since"] = String(plateauSince)
            if let plateauBest { m["plateau_best"] = String(plateauBest) }
        }
        if intervalSize > 0 {
            m["interval"] = "\(intervalLoss),\(intervalSize),\(intervalCorrect),\(intervalHasCorrect ? 1 : 0)"
        }
        state.metadata = state.metadata.merging(m) { $1 }
        try state.write()
        try saveModel(to: modelPath)
        onEvent(.checkpoint(step: step))
    }

    /// Continues the run saved in `checkpoint`: the weights, the optimizer's memory, the step,
    /// the curves, the selection and plateau bookkeeping, then the task's data and randomness.
    /// Errors name the checkpoint's file; nothing is changed unless all of it fits.
    public func restore(from checkpoint: TrainingCheckpoint) throws {
        guard checkpoint.metadata["state_format"] == task.stateFormat else {
            throw checkpoint.failure("is not a seqtool training state (\(task.stateFormat))")
        }
        try checkpoint.requireSame([("optimizer", options.optimizer.rawValue)])
        let savedStep = try checkpoint.integer("step")
        var values: [Tensor] = [], best: [Tensor] = []
        for (name, v) in model.stateDict {
            guard let t = checkpoint.tensors[name], t.shape == v.shape else {
                throw checkpoint.failure("tensor \(name) is missing or has another shape than the model's \(v.shape)")
            }
            values.append(t)
            if let b = checkpoint.tensors["best.\(name)"], b.shape == v.shape { best.append(b) }
        }
        var optimizerState: [String: Tensor] = [:]
        for (name, t) in checkpoint.tensors where name.hasPrefix("optimizer.") {
            optimizerState[String(name.dropFirst("optimizer.".count))] = t
        }
        // The task checks its part (batch, data, generators) before changing anything of its own, and
        // goes first: a state written for other flags leaves the session as it was.
        try task.restoreState(from: checkpoint)
        do { try optimizer.load(state: optimizerState) } catch { throw checkpoint.failure("\(error)") }
        for ((_, v), t) in zip(model.stateDict, values) { v.value = t }
        let m = checkpoint.metadata
        step = savedStep
        curves = LossCurves(m)
        bestWeights = best.count == values.count ? best : []
        if let bestStep = m["best_step"].flatMap(Int.init), let scores = m["best_scores"] {
            bestEvaluation = Evaluation(
                step: bestStep, epochs: epochs(at: bestStep), scores: Self.decode(scores), isBest: true)
            evaluationsSinceBest = m["evaluations_since_best"].flatMap(Int.init) ?? 0
        }
        learningRateFactor = m["lr_factor"].flatMap(Float.init) ?? 1
        plateauSince = m["plateau_since"].flatMap(Int.init) ?? 0
        plateauBest = m["plateau_best"].flatMap(Double.init)
        let interval = (m["interval"] ?? "").split(separator: ",")
        if interval.count == 4, let loss = Double(interval[0]), let size = Int(interval[1]),
            let correct = Int(interval[2])
        {
            (intervalLoss, intervalSize, intervalCorrect, intervalHasCorrect) = (
                loss, size, correct, interval[3] == "1"
            )
        }
        lastEvaluatedStep = m["last_evaluated"].flatMap(Int.init) ?? curves.validation.last?.step ?? -1
    }

    /// Scores as "key=value;key=value".
    static func encode(_ scores: [String: Double]) -> String {
        scores.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    static func decode(_ text: String) -> [String: Double] {
        var scores: [String: Double] = [:]
        for item in text.split(separator: ";") {
            let parts = item.split(separator: "=")
            if parts.count == 2, let value = Double(parts[1]) { scores[String(parts[0])] = value }
        }
        return scores
    }
}
