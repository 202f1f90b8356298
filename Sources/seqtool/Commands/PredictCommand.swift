import ArgumentParser
import Classification
import Datasets
import Foundation
import SeqTensor

/// `seqtool predict`: classify new series with a model `classify --out` wrote.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify the series of a .ts or CSV file with a trained classifier.",
        discussion: """
            One line per series: its index, the predicted label and that label's probability (and the
            true label when the file has labels). With labels, the accuracy follows.
              seqtool classify --train GunPoint_TRAIN.ts --model fcn --out gun.safetensors
              seqtool predict --model gun.safetensors --input GunPoint_TEST.ts --csv predictions.csv
            """)

    @Option(help: "Classifier file written by classify --out (of time series or of CSV rows).") var model: String
    @Option(help: "Series to classify: a .ts file, or CSV (one series per row).") var input: String
    @Option(
        name: .customLong("label-column"),
        help: "CSV input: where the label is (first or last), or none for series without labels.")
    var labelColumn: LabeledRows.LabelColumn = .first
    @Option(help: "Also write every class's probability per series to this CSV file.") var csv: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    /// What a model says of a file: its class names, each series' probabilities, the true labels.
    struct Prediction {
        let classNames: [String]
        let probabilities: [[Float]]
        let labels: [String]?
    }

    func run() throws {
        compute.apply()
        try overwrite.check(csv, flag: "--csv") { $0.lowercased().hasSuffix(".csv") }
        let format = try reporting { try SafeTensors.read(path: model) }.metadata["format"] ?? ""
        let result = format == SequenceClassifier.format ? try predictRows() : try predictSeries()
        let names = result.classNames, probabilities = result.probabilities
        let predicted = probabilities.map { p in
            p.withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: p.count) }
        }
        for (i, k) in predicted.enumerated() {
            let truth = result.labels.map { "\t(true \($0[i]))" } ?? ""
            print("\(i)\t\(names[k])\t" + String(format: "%.4f", probabilities[i][k]) + truth)
        }
        var summary: [String: Any] = ["series": probabilities.count, "model": model]
        if let labels = result.labels {
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            let right = zip(predicted, labels).filter { index[$1] == $0 }.count
            let accuracy = Double(right) / Double(max(labels.count, 1))
            print(String(format: "accuracy %.4f (%d series)", accuracy, labels.count))
            summary["accuracy"] = accuracy
        }
        if let csv {
            var text =
                (["index", "predicted"] + (result.labels == nil ? [] : ["label"]) + names)
                .map(csvField).joined(separator: ",") + "\n"
            for (i, p) in probabilities.enumerated() {
                var fields = [String(i), csvField(names[predicted[i]])]
                if let labels = result.labels { fields.append(csvField(labels[i])) }
                text += (fields + p.map { String($0) }).joined(separator: ",") + "\n"
            }
            try reporting { try AtomicFile.write(Data(text.utf8), to: csv) }
            print("probabilities written to \(csv)")
        }
        output.emit(summary)
    }

    /// A time-series classifier (`classify` on .ts files or with fcn, lstm-fcn) on .ts or CSV input.
    func predictSeries() throws -> Prediction {
        let classifier = try reporting { try SeriesClassifier.load(path: model) }
        let data = try reporting { try LabeledSeries.read(path: input, labelColumn: labelColumn) }
        guard data.channels == classifier.channels else {
            throw CommandError(
                "\(input): series have \(data.channels) channel(s), the model \(model) was trained on "
                    + "\(classifier.channels)")
        }
        if case let unknown = classifier.unknownLabels(data), !unknown.isEmpty {
            throw CommandError(
                "\(input): label \"\(unknown[0])\" is not one of the model's classes "
                    + classifier.classNames.joined(separator: ", "))
        }
        return Prediction(
            classNames: classifier.classNames, probabilities: classifier.probabilities(data), labels: data.labels)
    }

    /// A classifier of CSV rows (`classify` on CSV with lstm, gru, rnn, mlp, cnn1d or cnn2d): classes 0...K-1.
    func predictRows() throws -> Prediction {
        let classifier = try reporting { try SequenceClassifier.load(path: model) }
        guard !input.lowercased().hasSuffix(".ts") else {
            throw CommandError(
                "\(model) classifies CSV rows of \(classifier.featureCount) values; \(input) is a .ts file")
        }
        let rows = try reporting { try LabeledRows(csv: input, labelColumn: labelColumn) }
        guard rows.featureCount == classifier.featureCount else {
            throw CommandError(
                "\(input): rows have \(rows.featureCount) values, the model \(model) takes \(classifier.featureCount)")
        }
        let K = classifier.classCount
        if labelColumn != .none, let label = rows.labels.first(where: { $0 >= K }) {
            throw CommandError("\(input): label \"\(label)\" is not one of the model's classes 0...\(K - 1)")
        }
        var probabilities: [[Float]] = []
        classifier.inferenceMode {
            var start = 0
            while start < rows.count {
                let end = min(rows.count, start + 256)
                let p = classifier.logits(rows.features.slice(start..<end)).softmax().value
                for r in 0..<(end - start) {
                    probabilities.append(Array(UnsafeBufferPointer(start: p.pointer + r * K, count: K)))
                }
                start = end
            }
        }
        return Prediction(
            classNames: (0..<K).map(String.init), probabilities: probabilities,
            labels: labelColumn == .none ? nil : rows.labels.map(String.init))
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
