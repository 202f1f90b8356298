import ArgumentParser
import Classification
import Datasets
import Distributed
import Foundation
import Recurrent
import SeqTensor
import Training

/// `seqtool classify`: train a classifier of series (a `.ts` file of the UCR/UEA archives, or CSV
/// rows, which are one-channel series) and report train and test accuracy, per-class accuracy and
/// the confusion matrix.
struct ClassifyCommand: ParsableCommand, DataParallelCommand {
    enum Defaults: TrainingDefaults {
        static var options: TrainingOptions { ClassifierTraining.defaultOptions(steps: 1, epochSteps: 1) }
    }

    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract:
            "Train a classifier of series: recurrent (lstm, gru, rnn, ...), fcn, lstm-fcn, mlp, cnn1d, cnn2d "
            + "or minirocket.",
        discussion: """
            --train and --test are .ts files of the UCR/UEA archives (any number of channels, series of \
            different lengths, class labels as strings) or CSV rows (one series per row, the label first \
            or last), which are one-channel series. Inputs are standardised per channel with the training \
            series. Recurrent models read every --subsample-th step (by default about 50 steps of the \
            longest series) and classify from the last state; fcn and lstm-fcn convolve every step; mlp, \
            cnn1d and cnn2d read series of one length as features, a signal or an image.

            minirocket (Dempster et al. 2021: 84 fixed dilated kernels, proportions of positive values, a \
            ridge classifier with its penalty chosen by leave-one-out) is fitted in closed form on the raw \
            values of every training series, of any lengths and channels; the training flags below (--lr, \
            --epochs, --batch, --val-split, ...) do not apply to it and are refused with it.
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model minirocket

            Training runs about 1500 steps (100 to 300 epochs) unless --epochs or --steps says, Adam at \
            --lr annealed to 0 by a cosine. With --val-split a share of the training series selects the \
            epoch whose weights are kept; otherwise the last weights are kept. Either way training stops \
            after --patience epochs without a better score (validation accuracy, or the training loss).
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model fcn
              seqtool make-sine --out train.csv --phases random --count 200 --seed 1
              seqtool classify --train train.csv --test-split 0.2 --model lstm

            Data-parallel: `mpirun -np N seqtool classify <flags>` (a build with the MPI trait) splits \
            every batch among N ranks and averages the gradients. Batch norm (fcn, lstm-fcn) normalises \
            each rank's part of the batch, as PyTorch's DDP does without SyncBatchNorm; its running \
            statistics are averaged.
            """
    )

    @Option(help: "Training series: a .ts file, or CSV (one series per row).") var train: String
    @Option(help: "Test series (same channels).") var test: String?
    @Option(name: .customLong("test-split"), help: "Without --test: hold out this share of --train (seeded).")
    var testSplit: Double?
    @Option(name: .customLong("label-column"), help: "CSV: where the label is, first or last.")
    var labelColumn: LabelColumn = .first
    @Option(
        name: .customLong("model"),
        help: ArgumentHelp(
            "The architecture: a recurrent cell (\(CellKind.all.map(\.name).joined(separator: ", "))), fcn, "
                + "lstm-fcn, mlp, cnn1d, cnn2d or minirocket. Over the four UCR/UEA sets of "
                + "../shared/data/timeseries LSTM-FCN did best (mean test accuracy 0.94; FCN 0.91, LSTM 0.83).",
            valueName: "model"))
    var model: ArchitectureName = ArchitectureName(name: "lstm-fcn")
    @Option(help: "Recurrent models and lstm-fcn: hidden units.") var hidden = 64
    @Option(help: "Recurrent models: stacked layers.") var layers = "1"
    @Option(name: .customLong("rnn-layers"), help: .hidden) var rnnLayers: Int?
    @Flag(help: "Recurrent models: each layer also reads the series backwards.") var bidirectional = false
    @Option(name: .customLong("mlp-hidden"), help: "mlp: hidden layer sizes, e.g. 500,125,50.")
    var mlpHidden = "128,64"
    @Option(help: "cnn2d: the image's size HxW, e.g. 8x8 (H*W steps).") var image: String?
    @Option(help: "minirocket: features, rounded down to a multiple of 84 (default 10000, aeon's n_kernels).")
    var features: Int?
    @Option(help: "Recurrent models: read every K-th step (default: about 50 steps of the longest series).")
    var subsample: Int?
    @OptionGroup var budget: BudgetFlags
    @Option(help: "Series per step.") var batch = 32
    @OptionGroup var optimization: OptimizerFlags<Defaults>
    @OptionGroup var scheduling: ScheduleFlags<Defaults>
    @Option(
        name: .customLong("val-split"),
        help: "The share of --train held out to choose the epoch whose weights are kept (0: keep the last).")
    var valSplit = 0.0
    @Option(help: "Stop after this many epochs without a better score (0: never).")
    var patience = ClassifierTraining.defaultPatience
    @Flag(inversion: .prefixedNo, help: "Standardise each channel with the training mean and deviation.")
    var normalize = true
    @OptionGroup var checkpoints: CheckpointFlags<Defaults>
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Write the trained model (safetensors).") var out: String?
    @OptionGroup var output: JSONOptions
    @Option(help: "Write an SVG: predicted class against series index, true class beside it.") var plot: String?
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        try require(labelColumn != .none, "--label-column", "must be first or last")
        try require(hidden > 0, "--hidden", "must be positive")
        try require(batch > 0, "--batch", "must be positive")
        try require(patience >= 0, "--patience", "must not be negative")
        try require(valSplit >= 0 && valSplit < 1, "--val-split", "must be in [0, 1)")
        try require(subsample.map { $0 > 0 } ?? true, "--subsample", "must be positive")
        try require(testSplit.map { $0 > 0 && $0 < 1 } ?? true, "--test-split", "must be in (0, 1)")
        try require(test == nil || testSplit == nil, "--test", "and --test-split cannot both be given")
        try require(!checkpoints.resume || out != nil, "--resume", "needs --out (the run saved there)")
        let architecture = try architecture()
        if architecture.isFitted { try refuseTrainingFlags(for: architecture) }
        try require(
            !bidirectional || architecture.name == CellKind(name: model.name)?.name, "--bidirectional",
            "works with the recurrent models (\(CellKind.all.map(\.name).joined(separator: ", ")))")
        try require(
            subsample == nil || architecture.isRecurrent, "--subsample", "works with recurrent models and lstm-fcn")
        try require(image == nil || model.name == "cnn2d", "--image", "works with --model cnn2d")
        try require(features == nil || architecture.isFitted, "--features", "works with --model minirocket")
        try require(features.map { $0 >= 84 && $0 <= 1 << 20 } ?? true, "--features", "must be in 84...1048576")
    }

    /// `--layers` as the older spelling of `--mlp-hidden` (a list, for mlp), or the stacked layers.
    var olderMLPSpelling: Bool { model.name == "mlp" && layers != "1" }

    /// The architecture the flags describe.
    func architecture() throws -> Architecture {
        switch model.name {
        case "mlp":
            let list = olderMLPSpelling ? layers : mlpHidden, flag = olderMLPSpelling ? "--layers" : "--mlp-hidden"
            let sizes = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw CommandError("\(flag) must be positive sizes separated by commas, e.g. 500,125,50")
            }
            return .mlp(hidden: sizes.map { $0! })
        case "cnn1d": return .cnn1d
        case "cnn2d":
            guard let image else { throw CommandError("--image is required with --model cnn2d (e.g. 8x8)") }
            let p = image.lowercased().split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else {
                throw CommandError("--image must be HxW with positive H and W, e.g. 8x8")
            }
            return .cnn2d(height: p[0], width: p[1])
        case "fcn": return .fcn
        case "lstm-fcn": return .lstmFCN(hidden: hidden)
        case "minirocket": return .miniRocket(features: features ?? 10_000)
        default:
            guard let stacked = rnnLayers ?? Int(layers), stacked > 0 else {
                throw CommandError("--layers must be a positive number of stacked layers")
            }
            return .recurrent(
                cell: CellKind(name: model.name)!, hidden: hidden, layers: stacked, bidirectional: bidirectional)
        }
    }

    func run() throws {
        compute.apply()
        if olderMLPSpelling { noteOlderSpelling("--layers 128,64 (mlp)", "--mlp-hidden 128,64") }
        if rnnLayers != nil { noteOlderSpelling("--rnn-layers", "--layers") }
        let group = try reporting { try World.group() }
        try checkRanksAgree(group, data: "--train and --test") { hash in
            for path in [train] + (test.map { [$0] } ?? []) { hashFile(path, into: &hash) }
        }
        try checkOverwrite(out, flag: "--out")
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let architecture = try architecture()
        let (data, testSet) = try readSeries()
        if architecture.isFitted { return try fit(architecture, data: data, testSet: testSet, group: group) }
        let plan = try reporting {
            try ClassifierTraining.Plan(data: data, validationSplit: valSplit, batch: batch, seed: seeding.seed)
        }
        let lengths = Set(plan.training.lengths)
        if let problem = architecture.problem(channels: data.channels, length: lengths.count == 1 ? lengths.first : nil)
        {
            throw CommandError("--model \(model.name): \(problem)")
        }
        var options = ClassifierTraining.defaultOptions(steps: 1, epochSteps: plan.stepsPerEpoch)
        optimization.apply(to: &options)
        options.steps = budget.totalSteps(epochSteps: plan.stepsPerEpoch, default: plan.defaultSteps)
        options.schedule = scheduling.schedule(
            base: optimization.lr, totalSteps: options.steps, epochSteps: plan.stepsPerEpoch)
        options.checkpointEvery = checkpoints.checkpointEvery
        let run = ClassifierTraining(
            plan: plan, architecture: architecture, options: options,
            selection: ClassifierTraining.selection(validating: plan.validation != nil, patience: patience),
            subsample: subsample, standardises: normalize, group: group)
        let classifier = run.classifier, session = run.session
        if let testSet, let problem = classifier.problem(with: testSet, source: test ?? train) {
            throw CommandError(problem)
        }
        session.checkpointPath = out
        if checkpoints.resume, let out { try resumeSession(session, from: out) }
        let steps = lengths.count == 1 ? "\(lengths.first!) steps" : "\(lengths.min()!)-\(lengths.max()!) steps"
        printError(
            "classify: \(architecture.name), \(data.count) series of \(steps) x \(data.channels) channel(s) "
                + "(\(plan.training.count) to train, \(plan.validation?.count ?? 0) to validate), "
                + "\(plan.classNames.count) classes" + (testSet.map { ", \($0.count) test series" } ?? "")
                + "; \(classifier.parameterCount) parameters; \(options.steps) steps of \(batch) "
                + "(\(plan.stepsPerEpoch) an epoch)")

        let progress = TrainingProgress(totalSteps: options.steps, logEvery: max(1, options.steps / 20)) {
            evaluation in
            var line = String(format: "epoch %d", Int((evaluation.epochs ?? 0).rounded()))
            for (key, label) in [("train_loss", "loss"), ("train_accuracy", "train acc"), ("val_accuracy", "val acc")] {
                if let v = evaluation.scores[key] { line += String(format: "  %@ %.4f", label, v) }
            }
            return line + (evaluation.isBest && plan.validation != nil ? "  (best)" : "")
        }
        let (reason, seconds) = try runTraining(session, progress: progress, what: "")
        report(run, testSet: testSet, reason: reason, seconds: seconds, group: group)
    }

    /// The training series and, from --test or --test-split, the test series.
    func readSeries() throws -> (train: LabeledSeries, test: LabeledSeries?) {
        var data = try reporting { try LabeledSeries.read(path: train, labelColumn: labelColumn) }
        var testSet = try test.map { path in
            try reporting { try LabeledSeries.read(path: path, labelColumn: labelColumn) }
        }
        if let testSplit { (data, testSet) = data.split(testFraction: testSplit, seed: seeding.seed) }
        return (data, testSet)
    }

    /// Prints the outcome, writes the model and the plot, and emits the JSON summary.
    func report(
        _ run: ClassifierTraining, testSet: LabeledSeries?, reason: StopReason, seconds: Double,
        group: any ProcessGroup
    ) {
        let (classifier, session, plan) = (run.classifier, run.session, run.plan)
        let epochs = session.epochs(at: session.step) ?? 0
        let lastLoss = session.lastEvaluation?.scores["train_loss"] ?? .nan
        print(
            "trained \(wholeOrFraction(epochs)) epochs in "
                + String(format: "%.1f s; final loss %.4f", seconds, lastLoss))
        if reason == .patience {
            print("stopped early: \(patience) epochs without a better score")
        }
        let best = session.bestEvaluation
        if plan.validation != nil, let best {
            print(
                String(
                    format: "kept epoch %d (validation accuracy %.4f)", Int((best.epochs ?? 0).rounded()),
                    best.scores["val_accuracy"] ?? .nan))
        }
        var summary: [String: Any] = [
            "epochs": epochs == epochs.rounded() ? Int(epochs) : epochs, "steps": session.step, "final_loss": lastLoss,
        ]
        if let best, plan.validation != nil {
            summary["best_epoch"] = Int((best.epochs ?? 0).rounded())
            summary["validation_accuracy"] = best.scores["val_accuracy"] ?? Double.nan
        }
        reportOutcome(classifier, data: plan.data, testSet: testSet, seconds: seconds, summary: summary, group: group) {
            try session.saveModel(to: $0, extra: $1)
        }
    }

    /// The report every model shares, after its training or fit: accuracies, per-class accuracy and
    /// the confusion matrix (of the test series, or of the training series without them); the model
    /// written with `save(path, extra metadata)` and the plot; the JSON summary, `summary` and the rest.
    /// `trainAccuracy`, when the fit knows it already, spares predicting the training series again.
    func reportOutcome(
        _ classifier: Classifier, data all: LabeledSeries, testSet: LabeledSeries?, seconds: Double,
        summary: [String: Any], trainAccuracy known: Double? = nil, group: any ProcessGroup,
        save: (String, [String: String]) throws -> Void
    ) {
        let names = classifier.classNames
        let reported = testSet ?? all, split = testSet == nil ? "train" : "test"
        let predictions = classifier.predict(reported)
        let truth = classifier.classIndices(reported.labels ?? [])
        let report = ClassificationReport(predictions: predictions, labels: truth, classCount: names.count)
        // Without a test file the report is of the training series: their accuracy is computed once.
        let trainAccuracy = known ?? (testSet == nil ? report.accuracy : classifier.evaluate(on: all).accuracy)
        print(
            String(format: "train accuracy %.4f", trainAccuracy)
                + (testSet == nil ? "" : String(format: ", test accuracy %.4f", report.accuracy)))
        let perClass = zip(names, report.perClass).map { "\($0): " + ($1.map { String(format: "%.3f", $0) } ?? "-") }
        print("per-class accuracy (\(split)): " + perClass.joined(separator: "  "))
        print("confusion matrix (\(split), rows = true class, columns = predicted):")
        print("classes: " + names.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", "))
        print(report.confusionTable)
        if let out, group.isMain {
            do {
                try save(out, ["train_accuracy": String(trainAccuracy)])
                print("model written to \(out)")
            } catch { printError("Error: \(error)", always: true) }
        }
        if let plot, group.isMain {
            let svg = SVGPlot(
                title: "Predicted and true class per series (\(split))", xLabel: "series index", yLabel: "class",
                series: [
                    .init(
                        name: "true", points: truth.enumerated().map { (Double($0.offset), Double($0.element)) },
                        color: "#2ca02c"),
                    .init(
                        name: "predicted",
                        points: predictions.enumerated().map { (Double($0.offset), Double($0.element)) },
                        color: "#d62728", style: .markers),
                ], xScale: .integer, yScale: .classes(names))
            do {
                try AtomicFile.write(svg.render(), to: plot)
                print("plot written to \(plot)")
            } catch { printError("Error: \(error)", always: true) }
        }
        var summary = summary
        summary["train_accuracy"] = trainAccuracy
        summary["seconds"] = seconds
        summary["model"] = model.spelled
        summary["classes"] = names.count
        summary["train_rows"] = all.count
        if let testSet {
            summary["test_accuracy"] = report.accuracy
            summary["test_rows"] = testSet.count
            summary["per_class_test_accuracy"] = report.perClass.map { $0 ?? Double.nan }
        }
        if let out { summary["out"] = out }
        output.emit(summary)
    }

    /// Refuses an --out that is not a classifier file seqtool wrote (unless --force or --resume).
    func checkOverwrite(_ path: String?, flag: String) throws {
        guard let path else { return }
        try seqtool.checkOverwrite(path, force: overwrite.force || checkpoints.resume, flag: flag) {
            (try? SafeTensors.read(path: $0)).map { Classifier.isClassifier($0.metadata) } ?? false
        }
    }
}
