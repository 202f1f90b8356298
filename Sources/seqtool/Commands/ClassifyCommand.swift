import ArgumentParser
import Classification
import Datasets
import Distributed
import Foundation
import Recurrent
import SeqTensor

/// `seqtool classify`: train a classifier on CSV rows (sequences, images, features) and report
/// train and test accuracy, per-class accuracy and the confusion matrix.
struct ClassifyCommand: ParsableCommand, DataParallelCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a sequence classifier: lstm|gru|rnn (many-to-one), fcn, lstm-fcn, mlp, cnn1d or cnn2d.",
        discussion: """
            Time series: --train and --test in the .ts format of the UCR/UEA archives (any number of
            channels, series of different lengths, class labels as strings), or CSV rows with
            --model fcn or lstm-fcn. A share of the training file (--val-split) selects the epoch
            whose weights are kept; training stops after --patience epochs without a better
            validation accuracy. Inputs are standardised per channel with the training data.
              seqtool classify --train GunPoint_TRAIN.ts --test GunPoint_TEST.ts --model fcn

            CSV rows (one series per row, label first or last): recurrent models read each row as a
            sequence (every --subsample-th value; by default about 50 steps) and classify from the
            last hidden state; mlp, cnn1d and cnn2d read the row as features, a signal or an image.
              seqtool make-sine --out train.csv --phases random --count 200 --seed 1
              seqtool make-sine --out test.csv --phases random --count 40 --seed 2
              seqtool classify --train train.csv --test test.csv --model lstm

            Data-parallel: `mpirun -np N seqtool classify <flags>` (a build with the MPI trait) splits
            every batch of --batch rows among N ranks and averages the gradients; recurrent models
            train as in one process. Batch norm (fcn, lstm-fcn) normalises each rank's part of the
            batch, as PyTorch's DDP does without SyncBatchNorm; its running statistics are averaged.
            """
    )

    @Option(help: "Training data: a .ts file, or CSV (one example per row).") var train: String
    @Option(help: "Test data (same layout).") var test: String?
    @Option(name: .customLong("test-split"), help: "Without --test: hold out this fraction of --train (seeded).")
    var testSplit: Double?
    @Option(name: .customLong("label-column"), help: "Where the label is: first or last.")
    var labelColumn: LabeledRows.LabelColumn = .first
    @Option(
        name: .customLong("model"),
        help: """
            The model (default: lstm-fcn for .ts files, lstm for CSV rows). Over the four UCR/UEA sets \
            of ../shared/data/timeseries, with the defaults, LSTM-FCN did best (mean test accuracy \
            0.94; FCN 0.91, LSTM 0.83): the convolutions see every step of long series, the LSTM adds \
            the order of events. On short rows such as the sine data the LSTM alone is as good and smaller.
            """)
    var modelChoice: ClassifierChoice?

    /// `--model`, or the default for the input's kind.
    var model: ClassifierChoice { modelChoice ?? (train.lowercased().hasSuffix(".ts") ? .lstmFCN : .lstm) }
    @Option(help: "Recurrent models: hidden units.") var hidden = 64
    @Option(name: .customLong("rnn-layers"), help: "Recurrent models: stacked layers.") var rnnLayers = 1
    @Flag(help: "Recurrent models on time series: each layer also reads the series backwards.")
    var bidirectional = false
    @Option(help: "mlp: hidden layer sizes, e.g. 500,125,50.") var layers = "128,64"
    @Option(help: "cnn2d: image size HxW, e.g. 8x8.") var image: String?
    @Option(help: "Recurrent models: use every K-th value (default: about 50 steps per row).") var subsample: Int?
    @Option(
        help: """
            Passes over the training rows (default: 150, or enough for 3000 steps on small data sets; \
            time series: about 1500 steps, 100 to 300 epochs; early stopping may end sooner).
            """)
    var epochs: Int?
    @Option(help: "Rows per step.") var batch = 32
    @Option(help: "Learning rate (cosine-annealed to 0 over the run).") var lr: Float = 3e-3
    @Option(help: "Optimizer.") var optimizer: OptimizerKind = .adam
    @Option(help: "Clip the global gradient norm to this (0: off).") var clip: Float = 1
    @Option(
        help: """
            Stop after this many epochs without a better validation accuracy (time series; default 50), \
            or at 100% training accuracy (CSV models; default 10). 0: never.
            """)
    var patience: Int?
    @Option(
        name: .customLong("val-split"),
        help: "Time series: the share of --train held out to select the best epoch (0: keep the last).")
    var valSplit = 0.2
    @Flag(inversion: .prefixedNo, help: "Standardise inputs with the training mean and deviation.") var normalize = true
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Write the trained model (safetensors).") var out: String?
    @OptionGroup var output: JSONOptions
    @Option(help: "Write an SVG: predicted class against row index, true class beside it.") var plot: String?
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        try require(labelColumn != .none, "--label-column", "must be first or last")
        try require(hidden > 0, "--hidden", "must be positive")
        try require(rnnLayers > 0, "--rnn-layers", "must be positive")
        try require(epochs.map { $0 > 0 } ?? true, "--epochs", "must be positive")
        try require(batch > 0, "--batch", "must be positive")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
        try require(clip >= 0, "--clip", "must not be negative")
        try require((patience ?? 0) >= 0, "--patience", "must not be negative")
        try require(valSplit >= 0 && valSplit < 1, "--val-split", "must be in [0, 1)")
        try require(
            !bidirectional || (classifiesSeries && model.cell != nil), "--bidirectional",
            "works with lstm, gru, rnn or rnn_relu on time series (.ts files)")
        try require(subsample.map { $0 > 0 } ?? true, "--subsample", "must be positive")
        try require(testSplit.map { $0 > 0 && $0 < 1 } ?? true, "--test-split", "must be in (0, 1)")
        try require(test == nil || testSplit == nil, "--test", "and --test-split cannot both be given")
        try require(model != .cnn2d || image != nil, "--image", "is required with --model cnn2d (e.g. 8x8)")
        try require(
            model != .mlp || parsedLayers != nil, "--layers",
            "must be positive sizes separated by commas, e.g. 500,125,50")
        if let image {
            try require(parsedImage(image) != nil, "--image", "must be HxW with positive H and W, e.g. 8x8")
        }
    }

    var parsedLayers: [Int]? {
        let sizes = layers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return sizes.isEmpty || sizes.contains { $0 == nil || $0! <= 0 } ? nil : sizes.map { $0! }
    }

    func parsedImage(_ s: String) -> (Int, Int)? {
        let p = s.lowercased().split(separator: "x").compactMap { Int($0) }
        return p.count == 2 && p[0] > 0 && p[1] > 0 ? (p[0], p[1]) : nil
    }

    func run() throws {
        compute.apply()
        let group = try reporting { try World.group() }
        try checkRanksAgree(group, data: "--train and --test") { hash in
            for path in [train] + (test.map { [$0] } ?? []) { hashFile(path, into: &hash) }
        }
        if classifiesSeries { return try runSeries(group) }
        try overwrite.check(out, flag: "--out") { isSafeTensors($0, format: SequenceClassifier.format) }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        let (trainRows, testRows) = try readRows()
        let classes = max(trainRows.classCount, testRows?.classCount ?? 0)
        let classifier = SequenceClassifier(
            try architecture(featureCount: trainRows.featureCount), featureCount: trainRows.featureCount,
            classCount: classes, random: RandomSource(seed: seeding.seed))
        if normalize {
            (classifier.inputMean, classifier.inputStd) = Kernels.standardisation(trainRows.features.scalars)
        }
        var options = ClassifierTrainer.Options()
        let stepsPerEpoch = (trainRows.count + batch - 1) / batch
        options.epochs = epochs ?? max(150, (3000 + stepsPerEpoch - 1) / stepsPerEpoch)
        options.batch = batch
        options.optimizer = optimizer
        options.learningRate = lr
        options.clip = clip
        options.patience = patience ?? 10
        let trainer = ClassifierTrainer(model: classifier, options: options, data: trainRows, group: group)
        printError(
            "classify: \(model.rawValue), \(trainRows.count) training rows of \(trainRows.featureCount) values, "
                + "\(classes) classes" + (testRows.map { ", \($0.count) test rows" } ?? "")
                + "; \(classifier.parameterCount) parameters")
        let start = Date()
        let lastLoss = try train(trainer, classifier, epochs: options.epochs, group: group)
        let seconds = Date().timeIntervalSince(start)

        let trainReport = ClassificationReport(
            predictions: classifier.predict(trainRows.features), labels: trainRows.labels, classCount: classes)
        let testPredictions = testRows.map { classifier.predict($0.features) }
        let testReport = testRows.map {
            ClassificationReport(predictions: testPredictions!, labels: $0.labels, classCount: classes)
        }
        print(String(format: "trained %d epochs in %.1f s; final loss %.4f", trainer.epoch, seconds, lastLoss))
        print(
            String(format: "train accuracy %.4f", trainReport.accuracy)
                + (testReport.map { String(format: ", test accuracy %.4f", $0.accuracy) } ?? ""))
        let report = testReport ?? trainReport, split = testReport == nil ? "train" : "test"
        let perClass = report.perClass.enumerated().map {
            "\($0.offset): " + ($0.element.map { String(format: "%.3f", $0) } ?? "-")
        }
        print("per-class accuracy (\(split)): " + perClass.joined(separator: "  "))
        print("confusion matrix (\(split), rows = true class):\n" + report.confusionTable)
        if let out, group.isMain {
            try reporting {
                try classifier.save(
                    to: out, extra: ["epochs": String(trainer.epoch), "train_accuracy": String(trainReport.accuracy)])
            }
            print("model written to \(out)")
        }
        if group.isMain {
            try writePlot(
                rows: testRows ?? trainRows, predictions: testPredictions ?? classifier.predict(trainRows.features),
                split: split)
        }
        var summary: [String: Any] = [
            "train_accuracy": trainReport.accuracy, "epochs": trainer.epoch, "seconds": seconds,
            "model": model.rawValue,
            "final_loss": lastLoss, "classes": classes, "train_rows": trainRows.count,
        ]
        if let testReport, let testRows {
            summary["test_accuracy"] = testReport.accuracy
            summary["test_rows"] = testRows.count
            summary["per_class_test_accuracy"] = testReport.perClass.map { $0 ?? Double.nan }
        }
        if let out { summary["out"] = out }
        output.emit(summary)
    }

    /// The training rows and, from --test or --test-split, the test rows.
    func readRows() throws -> (train: LabeledRows, test: LabeledRows?) {
        var trainRows = try reporting { try LabeledRows(csv: train, labelColumn: labelColumn) }
        var testRows: LabeledRows?
        if let test {
            let rows = try reporting { try LabeledRows(csv: test, labelColumn: labelColumn) }
            guard rows.featureCount == trainRows.featureCount else {
                throw CommandError(
                    "\(test): rows have \(rows.featureCount) values, \(train) has \(trainRows.featureCount)")
            }
            testRows = rows
        } else if let testSplit {
            (trainRows, testRows) = trainRows.split(testFraction: testSplit, seed: seeding.seed)
        }
        if let testRows, testRows.classCount > trainRows.classCount {
            throw CommandError(
                "\(test ?? train): label \(testRows.classCount - 1) does not occur in the training rows "
                    + "(classes 0..\(trainRows.classCount - 1))")
        }
        return (trainRows, testRows)
    }

    /// The architecture `--model` names, for rows of `F` values.
    func architecture(featureCount F: Int) throws -> SequenceClassifier.Architecture {
        switch model {
        case .mlp:
            return .mlp(hidden: parsedLayers!)
        case .cnn1d:
            guard F >= 4 else {
                throw CommandError("--model cnn1d: rows of \(F) values are too short (need 4 or more)")
            }
            return .cnn1d
        case .cnn2d:
            let (h, w) = parsedImage(image!)!
            guard h * w == F else {
                throw CommandError("--image \(image!): \(h)x\(w) = \(h * w) values, but rows of \(train) have \(F)")
            }
            guard h >= 4 && w >= 4 else {
                throw CommandError("--image \(image!): needs at least 4x4 for two 2x2 poolings")
            }
            return .cnn2d(height: h, width: w)
        case .fcn, .lstmFCN:
            preconditionFailure("fcn and lstm-fcn run on the time-series path")
        default:
            return .recurrent(
                cell: model.cell!, hidden: hidden, layers: rnnLayers, subsample: subsample ?? max(1, F / 50))
        }
    }

    /// Trains epoch by epoch until the trainer stops; Ctrl-C saves --out and exits with 130.
    /// Returns the last epoch's loss.
    func train(
        _ trainer: ClassifierTrainer, _ classifier: SequenceClassifier, epochs: Int, group: any ProcessGroup
    ) throws -> Float {
        // On several ranks Ctrl-C is mpirun's: it stops every rank.
        if group.size == 1 { Interrupt.install() }
        let progress = Progress(total: epochs, logEvery: max(1, epochs / 10))
        var lastLoss: Float = .nan
        while !trainer.shouldStop {
            let (loss, accuracy) = try reporting { try trainer.trainEpoch() }
            lastLoss = loss
            let fields = [
                ("epoch", "\(trainer.epoch)"), ("loss", String(format: "%.4f", loss)),
                ("train acc", String(format: "%.3f", accuracy)),
            ]
            progress.update(step: trainer.epoch, fields: fields, tokensPerSecond: nil)
            if Interrupt.isRequested {
                progress.finish()
                if let out { try reporting { try classifier.save(to: out, extra: ["epochs": String(trainer.epoch)]) } }
                printError("interrupted at epoch \(trainer.epoch)" + (out.map { ": model saved to \($0)" } ?? ""))
                throw ExitCode(130)
            }
        }
        progress.finish()
        return lastLoss
    }

    func writePlot(rows: LabeledRows, predictions: [Int], split: String) throws {
        guard let plot else { return }
        let svg = SVGPlot(
            title: "Predicted and true class per sequence (\(split))", xLabel: "sequence index", yLabel: "class",
            series: [
                .init(
                    name: "true", points: rows.labels.enumerated().map { (Double($0.offset), Double($0.element)) },
                    color: "#2ca02c"),
                .init(
                    name: "predicted", points: predictions.enumerated().map { (Double($0.offset), Double($0.element)) },
                    color: "#d62728", style: .markers),
            ], xScale: .integer, yScale: .classes((0..<max(rows.classCount, 1)).map(String.init)))
        try reporting { try AtomicFile.write(svg.render(), to: plot) }
        print("plot written to \(plot)")
    }
}
