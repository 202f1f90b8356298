import ArgumentParser
import Classification
import Datasets
import Foundation
import Recurrent
import SeqTensor

/// `seqtool classify`: train a classifier on CSV rows (sequences, images, features) and report
/// train and test accuracy, per-class accuracy and the confusion matrix.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a classifier on CSV rows: lstm|gru|rnn (many-to-one), mlp, cnn1d or cnn2d.",
        discussion: """
        Recurrent models read each row as a sequence (one value per step, every --subsample-th;
        by default about 50 steps) and classify from the last hidden state. Example:
          seqtool make-sine --out train.csv --phases random --count 200 --seed 1
          seqtool make-sine --out test.csv --phases random --count 40 --seed 2
          seqtool classify --train train.csv --test test.csv --model lstm
        """
    )

    @Option(help: "Training CSV (one example per row).") var train: String
    @Option(help: "Test CSV (same layout).") var test: String?
    @Option(name: .customLong("test-split"), help: "Without --test: hold out this fraction of --train (seeded).") var testSplit: Double?
    @Option(name: .customLong("label-column"), help: "Where the label is: first or last.") var labelColumn = "first"
    @Option(help: "lstm, gru, rnn, mlp, cnn1d or cnn2d.") var model = "lstm"
    @Option(help: "Recurrent models: hidden units.") var hidden = 64
    @Option(name: .customLong("rnn-layers"), help: "Recurrent models: stacked layers.") var rnnLayers = 1
    @Option(help: "mlp: hidden layer sizes, e.g. 500,125,50.") var layers = "128,64"
    @Option(help: "cnn2d: image size HxW, e.g. 8x8.") var image: String?
    @Option(help: "Recurrent models: use every K-th value (default: about 50 steps per row).") var subsample: Int?
    @Option(help: "Passes over the training rows (default: 150, or enough for 3000 steps on small data sets; early stopping may end sooner).") var epochs: Int?
    @Option(help: "Rows per step.") var batch = 32
    @Option(help: "Learning rate (cosine-annealed to 0 over the run).") var lr: Float = 3e-3
    @Option(help: "adam, adamw, rmsprop, sgd or adagrad.") var optimizer: OptimizerKind = .adam
    @Option(help: "Clip the global gradient norm to this (0: off).") var clip: Float = 1
    @Option(help: "Stop after this many epochs at 100% training accuracy (0: never).") var patience = 10
    @Flag(inversion: .prefixedNo, help: "Standardise inputs with the training mean and deviation.") var normalize = true
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Threads for matrix products.") var threads = 1
    @Option(help: "Write the trained model (safetensors).") var out: String?
    @Flag(help: "End with one JSON line.") var json = false
    @Option(help: "Write an SVG: predicted class against row index, true class beside it.") var plot: String?
    @Flag(help: "Overwrite --out or --plot even if they are files of another kind.") var force = false

    func validate() throws {
        try require(["lstm", "gru", "rnn", "rnn_relu", "mlp", "cnn1d", "cnn2d"].contains(model), "--model", "must be lstm, gru, rnn, mlp, cnn1d or cnn2d")
        try require(["first", "last"].contains(labelColumn), "--label-column", "must be first or last")
        try require(hidden > 0, "--hidden", "must be positive")
        try require(rnnLayers > 0, "--rnn-layers", "must be positive")
        try require(epochs.map { $0 > 0 } ?? true, "--epochs", "must be positive")
        try require(batch > 0, "--batch", "must be positive")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
        try require(clip >= 0, "--clip", "must not be negative")
        try require(patience >= 0, "--patience", "must not be negative")
        try require(subsample.map { $0 > 0 } ?? true, "--subsample", "must be positive")
        try require(threads > 0, "--threads", "must be positive")
        try require(testSplit.map { $0 > 0 && $0 < 1 } ?? true, "--test-split", "must be in (0, 1)")
        try require(test == nil || testSplit == nil, "--test", "and --test-split cannot both be given")
        try require(model != "cnn2d" || image != nil, "--image", "is required with --model cnn2d (e.g. 8x8)")
        try require(model != "mlp" || parsedLayers != nil, "--layers", "must be positive sizes separated by commas, e.g. 500,125,50")
        if let image { try require(parsedImage(image) != nil, "--image", "must be HxW with positive H and W, e.g. 8x8") }
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
        BLASThreads.set(threads)
        if let out { try checkOverwrite(out, force: force, flag: "--out") { isSafeTensors($0, format: SequenceClassifier.format) } }
        if let plot { try checkOverwrite(plot, force: force, flag: "--plot") { isSVG($0) } }
        let column = LabeledRows.LabelColumn(rawValue: labelColumn)!
        var trainRows = try reporting { try LabeledRows(csv: train, labelColumn: column) }
        var testRows: LabeledRows?
        if let test {
            testRows = try reporting { try LabeledRows(csv: test, labelColumn: column) }
            guard testRows!.featureCount == trainRows.featureCount else {
                throw CommandError("\(test): rows have \(testRows!.featureCount) values, \(train) has \(trainRows.featureCount)")
            }
        } else if let testSplit {
            (trainRows, testRows) = trainRows.split(testFraction: testSplit, seed: seed)
        }
        let classes = max(trainRows.classCount, testRows?.classCount ?? 0)
        if let testRows, testRows.classCount > trainRows.classCount {
            throw CommandError("\(test ?? train): label \(testRows.classCount - 1) does not occur in the training rows (classes 0..\(trainRows.classCount - 1))")
        }
        let F = trainRows.featureCount
        let architecture: SequenceClassifier.Architecture
        switch model {
        case "mlp": architecture = .mlp(hidden: parsedLayers!)
        case "cnn1d":
            guard F >= 4 else { throw CommandError("--model cnn1d: rows of \(F) values are too short (need 4 or more)") }
            architecture = .cnn1d
        case "cnn2d":
            let (h, w) = parsedImage(image!)!
            guard h * w == F else { throw CommandError("--image \(image!): \(h)x\(w) = \(h * w) values, but rows of \(train) have \(F)") }
            guard h >= 4 && w >= 4 else { throw CommandError("--image \(image!): needs at least 4x4 for two 2x2 poolings") }
            architecture = .cnn2d(height: h, width: w)
        default:
            let cell = CellKind(argument: model)!
            architecture = .recurrent(cell: cell, hidden: hidden, layers: rnnLayers, subsample: subsample ?? max(1, F / 50))
        }
        let classifier = SequenceClassifier(architecture, featureCount: F, classCount: classes, random: RandomSource(seed: seed))
        if normalize { (classifier.inputMean, classifier.inputStd) = Kernels.standardisation(trainRows.features.scalars) }
        var options = ClassifierTrainer.Options()
        let stepsPerEpoch = (trainRows.count + batch - 1) / batch
        let epochs = self.epochs ?? max(150, (3000 + stepsPerEpoch - 1) / stepsPerEpoch)
        options.epochs = epochs
        options.batch = batch
        options.optimizer = optimizer
        options.learningRate = lr
        options.clip = clip
        options.patience = patience
        let trainer = ClassifierTrainer(model: classifier, options: options, data: trainRows)
        printError("classify: \(model), \(trainRows.count) training rows of \(F) values, \(classes) classes"
                   + (testRows.map { ", \($0.count) test rows" } ?? "") + "; \(classifier.parameters.reduce(0) { $0 + $1.value.count }) parameters")
        Interrupt.install()
        let progress = Progress(total: epochs, logEvery: max(1, epochs / 10))
        let start = Date()
        var lastLoss: Float = .nan
        while !trainer.shouldStop {
            let (loss, accuracy) = try reporting { try trainer.trainEpoch() }
            lastLoss = loss
            progress.update(step: trainer.epoch, fields: [("epoch", "\(trainer.epoch)"), ("loss", String(format: "%.4f", loss)),
                                                         ("train acc", String(format: "%.3f", accuracy))], tokensPerSecond: nil)
            if Interrupt.isRequested {
                progress.finish()
                if let out { try reporting { try classifier.save(to: out, extra: ["epochs": String(trainer.epoch)]) } }
                printError("interrupted at epoch \(trainer.epoch)" + (out.map { ": model saved to \($0)" } ?? ""))
                throw ExitCode(130)
            }
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        let trainReport = ClassificationReport(predictions: classifier.predict(trainRows.features), labels: trainRows.labels, classCount: classes)
        var testReport: ClassificationReport?
        var testPredictions: [Int] = []
        if let testRows {
            testPredictions = classifier.predict(testRows.features)
            testReport = ClassificationReport(predictions: testPredictions, labels: testRows.labels, classCount: classes)
        }
        print(String(format: "trained %d epochs in %.1f s; final loss %.4f", trainer.epoch, seconds, lastLoss))
        print(String(format: "train accuracy %.4f", trainReport.accuracy) + (testReport.map { String(format: ", test accuracy %.4f", $0.accuracy) } ?? ""))
        let report = testReport ?? trainReport
        print("per-class accuracy (\(testReport == nil ? "train" : "test")): "
              + report.perClass.enumerated().map { "\($0.offset): " + ($0.element.map { String(format: "%.3f", $0) } ?? "-") }.joined(separator: "  "))
        print("confusion matrix (\(testReport == nil ? "train" : "test"), rows = true class):\n" + report.confusionTable)
        if let out {
            try reporting { try classifier.save(to: out, extra: ["epochs": String(trainer.epoch), "train_accuracy": String(trainReport.accuracy)]) }
            print("model written to \(out)")
        }
        if let plot {
            let rows = testRows ?? trainRows
            let predictions = testRows == nil ? classifier.predict(trainRows.features) : testPredictions
            let svg = SVGPlot(title: "Predicted and true class per sequence (\(testRows == nil ? "train" : "test"))", xLabel: "sequence index", yLabel: "class",
                              series: [.init(name: "true", points: rows.labels.enumerated().map { (Double($0.offset), Double($0.element)) }, color: "#2ca02c"),
                                       .init(name: "predicted", points: predictions.enumerated().map { (Double($0.offset), Double($0.element)) }, color: "#d62728", markers: true)])
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
        if json {
            var summary: [String: Any] = ["train_accuracy": trainReport.accuracy, "epochs": trainer.epoch, "seconds": seconds, "model": model,
                                          "final_loss": lastLoss, "classes": classes, "train_rows": trainRows.count]
            if let testReport {
                summary["test_accuracy"] = testReport.accuracy
                summary["test_rows"] = testRows!.count
                summary["per_class_test_accuracy"] = testReport.perClass.map { $0 ?? Double.nan }
            }
            if let out { summary["out"] = out }
            print(jsonLine(summary))
        }
    }
}
