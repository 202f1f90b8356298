import ArgumentParser
import Classification
import Datasets
import Foundation
import Recurrent
import SeqTensor

/// `classify` on time series: `.ts` files of the UCR/UEA archives (any channels, any lengths,
/// string labels), or CSV rows with `--model fcn|lstm-fcn`. Model selection on a validation split
/// of the training file, the best epoch's weights kept.
extension ClassifyCommand {
    /// Whether this run takes the time-series path: `.ts` files, the models only it has, or CSV rows
    /// whose labels are not class numbers 0, 1, 2, ... (string labels) for a recurrent model.
    var classifiesSeries: Bool {
        if train.lowercased().hasSuffix(".ts") || model == .fcn || model == .lstmFCN { return true }
        guard model.cell != nil,
            let data = try? LabeledSeries(csv: train, labelColumn: labelColumn == .none ? .first : labelColumn),
            let labels = data.labels
        else { return false }
        return !labels.allSatisfy { Int($0).map { $0 >= 0 } ?? false }
    }

    func runSeries(_ group: any ProcessGroup) throws {
        try overwrite.check(out, flag: "--out") { isSafeTensors($0, format: SeriesClassifier.format) }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)
        guard let architecture = seriesArchitecture else {
            throw CommandError(
                "--model \(model.rawValue) reads CSV rows of equal length; for time series use lstm, gru, rnn, "
                    + "rnn_relu, fcn or lstm-fcn")
        }
        var all = try reporting { try LabeledSeries.read(path: train, labelColumn: labelColumn) }
        var testSet = try test.map { path in
            try reporting { try LabeledSeries.read(path: path, labelColumn: labelColumn) }
        }
        if let testSplit {
            var g = SeededGenerator(seed: seeding.seed)
            let order = g.permutation(all.count), cut = Int((Double(all.count) * testSplit).rounded())
            (all, testSet) = (all.subset(Array(order[cut...])), all.subset(Array(order[..<cut])))
        }
        if let testSet, testSet.channels != all.channels {
            throw CommandError(
                "\(test ?? train): series have \(testSet.channels) channels, \(train) has \(all.channels)")
        }
        let classNames = LabeledSeries.classNames(all.labels ?? [])
        // The validation series: a seeded share of the training file, every class kept in training.
        var g = SeededGenerator(seed: seeding.seed &+ 1)
        let order = g.permutation(all.count)
        let validationCount = valSplit > 0 ? max(1, Int((Double(all.count) * valSplit).rounded())) : 0
        guard all.count - validationCount >= 1 else {
            throw CommandError("--val-split \(valSplit): \(all.count) series leave none to train on")
        }
        let training = all.subset(Array(order[validationCount...]))
        let validation = validationCount > 0 ? all.subset(Array(order[..<validationCount])) : nil

        // Recurrent branches read about 50 steps of the longest series unless --subsample says.
        let stride = subsample ?? max(1, (all.lengths.max() ?? 1) / 50)
        let classifier = SeriesClassifier(
            architecture, channels: all.channels, classNames: classNames, subsample: stride,
            random: RandomSource(seed: seeding.seed))
        if normalize { classifier.standardise(from: training) }
        if let testSet, case let unknown = classifier.unknownLabels(testSet), !unknown.isEmpty {
            throw CommandError(
                "\(test ?? train): label \"\(unknown[0])\" does not occur in the training series "
                    + "(classes \(classNames.joined(separator: ", ")))")
        }
        var options = SeriesTrainer.Options()
        // Sized from the data: about 1500 steps, 100 to 300 epochs (patience usually ends it sooner).
        let stepsPerEpoch = (training.count + batch - 1) / batch
        options.epochs = epochs ?? min(300, max(100, (1500 + stepsPerEpoch - 1) / stepsPerEpoch))
        (options.batch, options.optimizer, options.learningRate, options.clip) = (batch, optimizer, lr, clip)
        options.patience = patience ?? 50
        let trainer = SeriesTrainer(
            model: classifier, options: options, training: training, validation: validation, group: group)
        let lengths = all.lengths
        let steps =
            lengths.min()! == lengths.max()! ? "\(lengths[0]) steps" : "\(lengths.min()!)-\(lengths.max()!) steps"
        printError(
            "classify: \(model.rawValue), \(all.count) series of \(steps) x \(all.channels) channel(s) "
                + "(\(training.count) to train, \(validation?.count ?? 0) to validate), \(classNames.count) classes"
                + (testSet.map { ", \($0.count) test series" } ?? "") + "; \(classifier.parameterCount) parameters")

        if group.size == 1 { Interrupt.install() }
        let start = Date()
        let progress = Progress(total: options.epochs, logEvery: 1)
        var lastLoss: Float = .nan
        while !trainer.shouldStop {
            let (loss, accuracy, validationAccuracy) = try reporting { try trainer.trainEpoch() }
            lastLoss = loss
            var fields = [
                ("epoch", "\(trainer.epoch)"), ("loss", String(format: "%.4f", loss)),
                ("train acc", String(format: "%.3f", accuracy)),
            ]
            if let validationAccuracy { fields.append(("val acc", String(format: "%.3f", validationAccuracy))) }
            progress.update(step: trainer.epoch, fields: fields, tokensPerSecond: nil)
            if Interrupt.isRequested {
                progress.finish()
                trainer.restoreBest()
                if let out { try reporting { try classifier.save(to: out) } }
                printError("interrupted at epoch \(trainer.epoch)" + (out.map { ": model saved to \($0)" } ?? ""))
                throw ExitCode(130)
            }
        }
        progress.finish()
        trainer.restoreBest()
        let seconds = Date().timeIntervalSince(start)

        print(String(format: "trained %d epochs in %.1f s; final loss %.4f", trainer.epoch, seconds, lastLoss))
        if validation != nil {
            print(
                String(
                    format: "kept epoch %d (validation accuracy %.4f)", trainer.bestEpoch,
                    trainer.bestValidationAccuracy))
        }
        let reported = testSet ?? all, split = testSet == nil ? "train" : "test"
        let predictions = classifier.predict(reported)
        let report = ClassificationReport(
            predictions: predictions, labels: classifier.classIndices(reported.labels ?? []),
            classCount: classNames.count)
        // Without a test file the report is of the training series: their accuracy is computed once.
        let trainAccuracy = testSet == nil ? report.accuracy : classifier.accuracy(on: all)
        print(
            String(format: "train accuracy %.4f", trainAccuracy)
                + (testSet == nil ? "" : String(format: ", test accuracy %.4f", report.accuracy)))
        let perClass = zip(classNames, report.perClass).map {
            "\($0): " + ($1.map { String(format: "%.3f", $0) } ?? "-")
        }
        print("per-class accuracy (\(split)): " + perClass.joined(separator: "  "))
        print("confusion matrix (\(split), rows = true class, columns = predicted):")
        print("classes: " + classNames.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", "))
        print(report.confusionTable)
        if let out, group.isMain {
            try reporting {
                try classifier.save(
                    to: out, extra: ["epochs": String(trainer.epoch), "best_epoch": String(trainer.bestEpoch)])
            }
            print("model written to \(out)")
        }
        if let plot, group.isMain {
            let truth = classifier.classIndices(reported.labels ?? [])
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
                ], xScale: .integer, yScale: .classes(classNames))
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("plot written to \(plot)")
        }
        var summary: [String: Any] = [
            "train_accuracy": trainAccuracy, "epochs": trainer.epoch, "best_epoch": trainer.bestEpoch,
            "seconds": seconds, "model": model.rawValue, "final_loss": lastLoss, "classes": classNames.count,
            "train_rows": all.count,
        ]
        if validation != nil { summary["validation_accuracy"] = trainer.bestValidationAccuracy }
        if let testSet {
            summary["test_accuracy"] = report.accuracy
            summary["test_rows"] = testSet.count
            summary["per_class_test_accuracy"] = report.perClass.map { $0 ?? Double.nan }
        }
        if let out { summary["out"] = out }
        output.emit(summary)
    }

    /// The series architecture `--model` names; nil for the models of CSV rows.
    var seriesArchitecture: SeriesClassifier.Architecture? {
        switch model {
        case .fcn: .fcn
        case .lstmFCN: .lstmFCN(hidden: hidden)
        case .mlp, .cnn1d, .cnn2d: nil
        default: .recurrent(cell: model.cell!, hidden: hidden, layers: rnnLayers, bidirectional: bidirectional)
        }
    }
}
