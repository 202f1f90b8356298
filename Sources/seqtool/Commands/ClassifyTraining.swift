import Classification
import Datasets
import Foundation
import SeqTensor
import Training

/// `classify`'s training of one model (of an ensemble's members, each in turn): the plan, the
/// budget and options from the flags over the library's defaults, k-fold selection when asked,
/// progress in epochs and steps, and what was kept, in words.
extension ClassifyCommand {
    /// One trained model: its run, why it stopped, its seconds (the folds' included), the folds'
    /// choice when asked, and its part of the JSON summary.
    struct TrainedMember {
        let run: ClassifierTraining
        let reason: StopReason
        let seconds: Double
        let folds: FoldSelection?
        let summary: [String: Any]
    }

    /// Trains member `k` of the ensemble (the one model when there is no ensemble) from seed
    /// --seed + k, and prints its outcome.
    func trainMember(
        _ k: Int, architecture: Architecture, data: LabeledSeries, testSet: LabeledSeries?, group: any ProcessGroup
    ) throws -> TrainedMember {
        let seed = seeding.seed &+ UInt64(k)
        let member = ensemble > 1 ? "member \(k + 1) of \(ensemble) (seed \(seed)): " : ""
        let plan = try reporting {
            try ClassifierTraining.Plan(
                data: data, validationSplit: folds == nil ? valSplit : 0, batch: batch, seed: seed, source: train)
        }
        let lengths = Set(plan.training.lengths)
        if let problem = architecture.problem(channels: data.channels, length: lengths.count == 1 ? lengths.first : nil)
        {
            throw CommandError("--model \(model.name): \(problem)")
        }
        // The test series are checked before any training (the folds' included), as the model
        // that will score them will see them.
        if let testSet,
            let problem = Classifier.problem(
                with: testSet, source: test ?? train, architecture: architecture, channels: plan.training.channels,
                length: lengths.count == 1 ? lengths.first : nil, classNames: plan.classNames)
        {
            throw CommandError(problem)
        }
        var foldChoice: FoldSelection?, foldSeconds = 0.0
        if let folds {
            foldChoice = try reporting {
                try FoldSelection.select(
                    folds: folds, plan: plan, architecture: architecture,
                    options: { trainingOptions($0, architecture: architecture) }, subsample: subsample,
                    standardises: normalize
                ) { run, f in
                    let what = "\(member)fold \(f + 1) of \(folds)"
                    printError(
                        "\(what): \(run.plan.training.count) series train, \(run.plan.validation!.count) held out")
                    foldSeconds += try runTraining(run.session, progress: progress(run, quiet: true), what: what)
                        .seconds
                }
            }
            print(
                "\(member)\(folds)-fold cross-validation chose \(foldChoice!.epochs) epochs (mean held-out accuracy "
                    + String(format: "%.4f)", foldChoice!.chosenAccuracy))
        }
        let options = trainingOptions(plan, architecture: architecture, epochs: foldChoice?.epochs)
        let run = ClassifierTraining(
            plan: plan, architecture: architecture, options: options,
            selection: foldChoice == nil
                ? ClassifierTraining.selection(validating: plan.validation != nil, patience: patience)
                : FoldSelection.last,
            subsample: subsample, standardises: normalize, group: group)
        let classifier = run.classifier, session = run.session
        if ensemble == 1 {
            session.checkpointPath = out
            if checkpoints.resume, let out { try resumeSession(session, from: out) }
        }
        let steps = lengths.count == 1 ? "\(lengths.first!) steps" : "\(lengths.min()!)-\(lengths.max()!) steps"
        if k == 0 {
            printError(
                "classify: \(architecture.name), \(data.count) series of \(steps) x \(data.channels) channel(s) "
                    + "(\(plan.training.count) to train, \(plan.validation?.count ?? 0) to validate), "
                    + "\(plan.classNames.count) classes" + (testSet.map { ", \($0.count) test series" } ?? "")
                    + "; \(classifier.parameterCount) parameters")
        }
        printError(member + regime(run))
        let (reason, seconds) = try runTraining(session, progress: progress(run, quiet: false), what: member)
        printOutcome(run, reason: reason, seconds: seconds, prefix: member)
        return TrainedMember(
            run: run, reason: reason, seconds: foldSeconds + seconds, folds: foldChoice,
            summary: summary(run, folds: foldChoice, seed: seed))
    }

    /// The options of a run on `plan`: the library's defaults for the budget (--steps, --epochs or
    /// the plan's default for `architecture`), with the flags over them; `epochs` (the folds' choice)
    /// ends the run early, with the schedule and plateau patience of the whole budget, as the folds
    /// had them.
    func trainingOptions(_ plan: ClassifierTraining.Plan, architecture: Architecture, epochs: Int? = nil)
        -> TrainingOptions
    {
        var options = budgetOptions(plan, architecture: architecture)
        if let epochs { options.steps = epochs * plan.stepsPerEpoch }
        return options
    }

    /// `trainingOptions` for the whole budget.
    private func budgetOptions(_ plan: ClassifierTraining.Plan, architecture: Architecture) -> TrainingOptions {
        let epochSteps = plan.stepsPerEpoch
        let steps = budget.totalSteps(
            epochSteps: epochSteps, default: plan.defaultSteps(for: architecture, subsample: subsample))
        var options = ClassifierTraining.defaultOptions(steps: steps, epochSteps: epochSteps)
        optimization.apply(to: &options)
        options.schedule = scheduling.schedule(base: optimization.lr, totalSteps: steps, epochSteps: epochSteps)
        if let plateauPatience {
            options.plateau?.patience = plateauPatience
            if plateauPatience == 0 { options.plateau = nil }
        }
        options.checkpointEvery = checkpoints.checkpointEvery
        return options
    }

    /// The run's budget and regime in one line.
    func regime(_ run: ClassifierTraining) -> String {
        let options = run.session.options, epochSteps = run.plan.stepsPerEpoch
        let epochs = Double(options.steps) / Double(epochSteps)
        var line =
            "training \(wholeOrFraction(epochs)) epochs of \(epochSteps) steps (\(options.steps) steps of "
            + "\(run.plan.batch) series), \(options.optimizer.rawValue) at \(options.learningRate)"
        if let plateau = options.plateau {
            line +=
                ", halved after \(plateau.patience) epochs without a lower training loss (down to "
                + "\(plateau.minimum))"
        }
        return line + "; keeping " + kept(options.selection)
    }

    /// Which weights a selection keeps, in words.
    func kept(_ selection: Selection?) -> String {
        guard let selection, selection.keepsBest else { return "the last epoch's weights" }
        switch selection.scores.first {
        case Score.trainLoss: return "the epoch of the lowest training loss"
        case Score.validationAccuracy: return "the epoch of the best validation accuracy"
        case let score?: return "the epoch of the best \(score.key)"
        case nil: return "the last epoch's weights"
        }
    }

    /// Progress of `run` on standard error: steps with the epoch they are in, and about 20 lines
    /// of epoch scores (none when `quiet`, as for the folds).
    func progress(_ run: ClassifierTraining, quiet: Bool) -> TrainingProgress {
        let options = run.session.options, epochSteps = run.plan.stepsPerEpoch
        let totalEpochs = (options.steps + epochSteps - 1) / epochSteps
        let every = max(1, totalEpochs / 20), validating = run.plan.validation != nil
        return TrainingProgress(
            totalSteps: options.steps, logEvery: max(1, options.steps / 20), epochSteps: epochSteps
        ) { evaluation in
            let epoch = Int((evaluation.epochs ?? 0).rounded())
            guard !quiet, epoch % every == 0 || epoch == totalEpochs else { return nil }
            var line = "epoch \(epoch)/\(totalEpochs)"
            for (key, label) in [
                ("train_loss", "training loss"), ("train_accuracy", "train acc"), ("val_accuracy", "val acc"),
            ] {
                if let v = evaluation.scores[key] { line += String(format: "  %@ %.4f", label, v) }
            }
            line += String(format: "  lr %.3g", run.session.learningRate)
            return line + (evaluation.isBest ? (validating ? "  (best so far)" : "  (lowest so far)") : "")
        }
    }

    /// What was trained and which weights were kept, in words.
    func printOutcome(_ run: ClassifierTraining, reason: StopReason, seconds: Double, prefix: String) {
        let session = run.session, epochSteps = run.plan.stepsPerEpoch
        let epochs = session.epochs(at: session.step) ?? 0
        let lastLoss = session.lastEvaluation?.scores["train_loss"] ?? .nan
        print(
            prefix + "trained \(wholeOrFraction(epochs)) epochs (\(session.step) steps of \(run.plan.batch) series) "
                + String(format: "in %.1f s; the last epoch's training loss %.4f", seconds, lastLoss))
        if reason == .patience {
            print(prefix + "stopped early: \(patience) epochs without a better score")
        }
        guard let selection = session.options.selection, selection.keepsBest, let best = session.bestEvaluation else {
            print(prefix + "kept the weights of the last epoch (\(wholeOrFraction(epochs)))")
            return
        }
        let score =
            run.plan.validation != nil
            ? String(
                format: "the best validation accuracy, %.4f (loss %.4f)", best.scores["val_accuracy"] ?? .nan,
                best.scores["val_loss"] ?? .nan)
            : String(format: "the lowest training loss, %.4f", best.scores["train_loss"] ?? .nan)
        print(prefix + "kept the weights of epoch \(best.step / epochSteps), \(score)")
    }

    /// The run's part of the JSON summary.
    func summary(_ run: ClassifierTraining, folds: FoldSelection?, seed: UInt64) -> [String: Any] {
        let session = run.session, epochSteps = run.plan.stepsPerEpoch
        let epochs = session.epochs(at: session.step) ?? 0
        var summary: [String: Any] = [
            "epochs": epochs == epochs.rounded() ? Int(epochs) : epochs, "steps": session.step,
            "final_loss": session.lastEvaluation?.scores["train_loss"] ?? Double.nan, "seed": seed,
        ]
        if let best = session.bestEvaluation, session.options.selection?.keepsBest == true {
            summary["best_epoch"] = best.step / epochSteps
            if run.plan.validation != nil {
                summary["validation_accuracy"] = best.scores["val_accuracy"] ?? Double.nan
            } else {
                summary["best_train_loss"] = best.scores["train_loss"] ?? Double.nan
            }
        }
        if let folds {
            summary["folds"] = folds.folds
            summary["cv_accuracy"] = folds.chosenAccuracy
        }
        return summary
    }
}
