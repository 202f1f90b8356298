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
            "Train a classifier of series: recurrent (lstm, gru, rnn, ...), fcn, resnet, lstm-fcn, mlp, cnn1d, "
            + "cnn2d or minirocket.",
        discussion: """
            --train and --test are .ts files of the UCR/UEA archives (any number of channels, series of \
            different lengths, class labels as strings) or CSV rows (one series per row, the label first \
            or last), which are one-channel series. Inputs are standardised per channel with the training \
            series. Recurrent models read every --subsample-th step (by default about 50 steps of the \
            longest series) and classify from the last state; fcn, resnet and lstm-fcn convolve every step; \
            mlp, cnn1d and cnn2d read series of one length as features, a signal or an image.

            minirocket, the default (Dempster et al. 2021: 84 fixed dilated kernels, proportions of positive values, a \
            ridge classifier with its penalty chosen by leave-one-out) is fitted in closed form on the raw \
            values of every training series, of any lengths and channels; the training flags below (--lr, \
            --epochs, --batch, --val-split, ...) do not apply to it and are refused with it.
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model minirocket

            The regime, after the published FCN and ResNet runs (Fawaz et al. 2019), works from 30 series \
            to thousands: every training series trains (below 1000 series; from 1000 a tenth is held out to \
            choose the epoch, as --val-split 0.1), batch 16, Adam at 1e-3, the learning rate halved whenever \
            the epoch's training loss has not improved for a thirtieth of the epochs (5 to 50; \
            --plateau-patience), down to 1e-4, and the weights of the epoch of the lowest training loss kept \
            (of the best validation accuracy with a validation split). The budget is in steps: up to 1500 \
            epochs, fewer where they would take more than 10,000 steps or an epoch is costly (at most about \
            6e12 multiply-adds, padding of unequal lengths counted, two minutes on two cores), but at least \
            10 epochs, so that 30 series train \
            enough and 3000 in minutes; --epochs or --steps set it. --folds K chooses the epochs by K-fold \
            cross-validation instead (K + 1 runs). \
            --ensemble N trains N models from seeds --seed ... --seed + N - 1 and averages their class \
            probabilities (as InceptionTime), saved as one file that predict and info read.
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model fcn
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model resnet --ensemble 5
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
                + "resnet, lstm-fcn, mlp, cnn1d, cnn2d or minirocket. Over the four UCR/UEA sets of "
                + "../shared/data/timeseries minirocket scored a mean test accuracy of 0.945 in under a second "
                + "a set (aeon's MiniRocket's accuracy on each), fcn 0.930, resnet 0.926 and lstm-fcn 0.930 in 44 to "
                + "106 seconds a set on two cores.",
            valueName: "model"))
    var model: ArchitectureName = ArchitectureName(name: "minirocket")
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
    @Option(help: "Series per step.") var batch = ClassifierTraining.Plan.defaultBatch
    @OptionGroup var optimization: OptimizerFlags<Defaults>
    @OptionGroup var scheduling: ScheduleFlags<Defaults>
    @Option(
        name: .customLong("val-split"),
        help: ArgumentHelp(
            "The share of --train held out to choose the epoch whose weights are kept (default: none below "
                + "\(ClassifierTraining.Plan.largeFile) training series, 0.1 from there; 0: none, the epoch of the "
                + "lowest training loss is kept).", valueName: "share"))
    var valSplit: Double?
    @Option(help: "Stop after this many epochs without a better score (0: never; the budget ends the run).")
    var patience = ClassifierTraining.defaultPatience
    @Option(
        name: .customLong("plateau-patience"),
        help: ArgumentHelp(
            "Halve the learning rate after this many epochs without a lower training loss, down to 1e-4 "
                + "(default: a thirtieth of the epochs, 5 to 50; 0: never).", valueName: "epochs"))
    var plateauPatience: Int?
    @Option(help: "Choose the epochs by K-fold cross-validation on --train, then train on all of it.")
    var folds: Int?
    @Option(help: "Train N models from seeds --seed, --seed + 1, ... and average their class probabilities.")
    var ensemble = 1
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
        try require(valSplit.map { $0 >= 0 && $0 < 1 } ?? true, "--val-split", "must be in [0, 1)")
        try require(plateauPatience.map { $0 >= 0 } ?? true, "--plateau-patience", "must not be negative")
        try require(folds.map { $0 >= 2 } ?? true, "--folds", "must be at least 2")
        try require(folds == nil || valSplit == nil, "--folds", "and --val-split cannot both be given")
        try require(
            folds == nil || !Self.given("--patience"), "--folds",
            "chooses the epochs itself: --patience cannot be given with it")
        try require(
            ensemble >= 1 && ensemble <= ClassifierEnsemble.maximumMembers, "--ensemble",
            "must be in 1...\(ClassifierEnsemble.maximumMembers)")
        try require(
            ensemble == 1 || (!checkpoints.resume && checkpoints.checkpointEvery == 0), "--ensemble",
            "trains its members in one run: --resume and --checkpoint-every work with a single model")
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
        case "resnet": return .resnet
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
        var members: [TrainedMember] = []
        for k in 0..<ensemble {
            members.append(
                try trainMember(k, architecture: architecture, data: data, testSet: testSet, group: group))
        }
        try report(members, data: data, testSet: testSet, group: group)
    }

    /// The training series and, from --test or --test-split, the test series.
    func readSeries() throws -> (train: LabeledSeries, test: LabeledSeries?) {
        var data = try reporting { try LabeledSeries.read(path: train, labelColumn: labelColumn) }
        var testSet = try test.map { path in
            try reporting { try LabeledSeries.read(path: path, labelColumn: labelColumn) }
        }
        if let testSplit {
            let all = data.count
            (data, testSet) = data.split(testFraction: testSplit, seed: seeding.seed)
            guard data.count > 0, let held = testSet, held.count > 0 else {
                throw CommandError(
                    "--test-split \(testSplit) of \(all) series leaves \(data.count) to train and "
                        + "\(testSet?.count ?? 0) to test: both need at least one")
            }
        }
        if let testSet, testSet.labels == nil {
            throw CommandError("\(test ?? train): the test series have no class labels")
        }
        return (data, testSet)
    }

    /// The model the members make (the one, or their ensemble), reported as `reportOutcome` does,
    /// with the training summary: epochs, steps and the epoch kept (each member's, for an ensemble).
    func report(
        _ members: [TrainedMember], data: LabeledSeries, testSet: LabeledSeries?, group: any ProcessGroup
    ) throws {
        let seconds = members.reduce(0) { $0 + $1.seconds }
        guard members.count > 1 else {
            let member = members[0]
            try reportOutcome(
                member.run.classifier, data: data, testSet: testSet, seconds: seconds, summary: member.summary,
                group: group
            ) { try member.run.session.saveModel(to: $0, extra: $1) }
            return
        }
        let ensemble = ClassifierEnsemble(
            members: members.map(\.run.classifier),
            summaries: members.enumerated().map { k, member in
                member.run.session.summaryMetadata.merging(["seed": String(seeding.seed &+ UInt64(k))]) { $1 }
            })
        print(
            "ensemble of \(members.count) \(members[0].run.classifier.architecture.name) models (seeds \(seeding.seed)-"
                + "\(seeding.seed &+ UInt64(members.count - 1))): their class probabilities averaged")
        let summary: [String: Any] = [
            "ensemble": members.count, "members": members.map(\.summary),
            "epochs": members.reduce(0) { $0 + $1.run.session.step / $1.run.plan.stepsPerEpoch },
            "steps": members.reduce(0) { $0 + $1.run.session.step },
        ]
        try reportOutcome(ensemble, data: data, testSet: testSet, seconds: seconds, summary: summary, group: group) {
            try ensemble.save(to: $0, extra: $1)
        }
    }

    /// The report every model shares, after its training or fit: accuracies, per-class accuracy and the
    /// confusion matrix (of the test series, or of the training series without them); the model
    /// written with `save(path, extra metadata)` and the plot; the JSON summary, `summary` and the rest.
    /// `trainAccuracy`, when the fit knows it already, spares predicting the training series again.
    func reportOutcome(
        _ classifier: any SeriesClassifier, data all: LabeledSeries, testSet: LabeledSeries?, seconds: Double,
        summary: [String: Any], trainAccuracy known: Double? = nil, group: any ProcessGroup,
        save: (String, [String: String]) throws -> Void
    ) throws {
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
            try reporting { try save(out, ["train_accuracy": String(trainAccuracy)]) }
            print("model written to \(out)")
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
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
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
            (try? SafeTensors.read(path: $0)).map {
                Classifier.isClassifier($0.metadata) || ClassifierEnsemble.isEnsemble($0.metadata)
            } ?? false
        }
    }
}
