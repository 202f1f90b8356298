import ArgumentParser
import SeqTensor
import Training

// The flags every training command shares, with one meaning each. Their defaults are the task's
// library defaults (`Defaults.options`), so `--help` shows what the library does.

/// A training command's defaults: its task's `TrainingOptions`.
protocol TrainingDefaults {
    static var options: TrainingOptions { get }
}

/// `--optimizer`, `--lr`, `--momentum`, `--weight-decay`, `--clip`.
struct OptimizerFlags<Defaults: TrainingDefaults>: ParsableArguments {
    @Option(help: "Optimizer, with PyTorch's defaults for what is not set here.")
    var optimizer: OptimizerKind = Defaults.options.optimizer
    @Option(help: "Learning rate.") var lr: Float = Defaults.options.learningRate
    @Option(help: "Momentum of sgd and rmsprop.") var momentum: Float = Defaults.options.momentum
    @Option(
        name: .customLong("weight-decay"),
        help: "L2 penalty, decoupled for adamw (default: 0.01 for adamw, 0 for the others).")
    var weightDecay: Float?
    @Option(help: "Clip the global gradient norm to this (0: off).") var clip: Float = Defaults.options.clip

    func validate() throws {
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
        try require(momentum >= 0 && momentum < 1, "--momentum", "must be in [0, 1)")
        try require(weightDecay.map { $0 >= 0 && $0.isFinite } ?? true, "--weight-decay", "must not be negative")
        try require(clip >= 0 && clip.isFinite, "--clip", "must not be negative")
    }

    /// Sets the optimizer, its hyperparameters and the clip of `options`.
    func apply(to options: inout TrainingOptions) {
        (options.optimizer, options.momentum, options.weightDecay, options.clip) = (
            optimizer, momentum, weightDecay, clip
        )
        options.learningRate = lr
    }
}

/// `--schedule`, `--lr-decay`, `--lr-decay-every`, `--warmup`, `--min-lr`.
struct ScheduleFlags<Defaults: TrainingDefaults>: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Learning-rate schedule: step (times --lr-decay every --lr-decay-every steps), cosine (annealed to "
                + "--min-lr over the run) or constant (default: \(Self.defaultChoice.rawValue); step when "
                + "--lr-decay is given).", valueName: "schedule"))
    var schedule: ScheduleChoice?
    @Option(name: .customLong("lr-decay"), help: "Step schedule: multiply the learning rate by this, in (0, 1].")
    var lrDecay: Float = 1
    @Option(name: .customLong("lr-decay-every"), help: "Step schedule: steps between decays (default: one epoch).")
    var lrDecayEvery: Int?
    @Option(help: "Steps of linear learning-rate warm-up.") var warmup = 0
    @Option(name: .customLong("min-lr"), help: "Cosine schedule: the learning rate it anneals to.")
    var minLr: Float = 0

    /// The task's default schedule, as a choice.
    static var defaultChoice: ScheduleChoice {
        switch Defaults.options.schedule.decay {
        case .cosine: .cosine
        case .step, .exponential: .step
        case .constant: .constant
        }
    }

    func validate() throws {
        try require(lrDecay > 0 && lrDecay <= 1, "--lr-decay", "must be in (0, 1]")
        try require(lrDecayEvery.map { $0 > 0 } ?? true, "--lr-decay-every", "must be positive")
        try require(warmup >= 0, "--warmup", "must not be negative")
        try require(minLr >= 0 && minLr.isFinite, "--min-lr", "must not be negative")
    }

    /// The schedule from `base` over a run of `totalSteps` steps of which `epochSteps` make an epoch.
    func schedule(base: Float, totalSteps: Int, epochSteps: Int) -> LearningRateSchedule {
        let choice = schedule ?? (lrDecay < 1 ? .step : Self.defaultChoice)
        let decay: LearningRateSchedule.Decay
        switch choice {
        case .cosine: decay = .cosine(totalSteps: max(1, totalSteps - warmup), minimum: minLr)
        case .constant: decay = .constant
        case .step: decay = lrDecay < 1 ? .step(every: lrDecayEvery ?? max(epochSteps, 1), gamma: lrDecay) : .constant
        }
        return LearningRateSchedule(base: base, decay: decay, warmupSteps: warmup)
    }
}

/// `--steps` and `--epochs`: the training budget, one or the other.
struct BudgetFlags: ParsableArguments {
    @Option(help: "Optimizer steps in all (default: the task's; see --help's discussion).") var steps: Int?
    @Option(help: "Passes over the training data, instead of --steps.") var epochs: Int?

    func validate() throws {
        try require(steps.map { $0 > 0 } ?? true, "--steps", "must be positive")
        try require(epochs.map { $0 > 0 } ?? true, "--epochs", "must be positive")
        try require(steps == nil || epochs == nil, "--steps", "and --epochs cannot both be given")
    }

    /// The steps to train for: --steps, or --epochs passes of `epochSteps` steps, or `default`.
    func totalSteps(epochSteps: Int, default: Int) -> Int { steps ?? epochs.map { $0 * epochSteps } ?? `default` }
}

/// `--checkpoint-every` and `--resume`.
struct CheckpointFlags<Defaults: TrainingDefaults>: ParsableArguments {
    @Option(
        name: .customLong("checkpoint-every"),
        help: "Save the model and the training state every N steps (0: none on a schedule; Ctrl-C saves them).")
    var checkpointEvery = Defaults.options.checkpointEvery
    @Flag(help: "Continue the run saved at --out (the model and its .state.safetensors).") var resume = false

    func validate() throws {
        try require(checkpointEvery >= 0, "--checkpoint-every", "must not be negative")
    }
}
