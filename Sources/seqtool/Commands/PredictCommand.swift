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

    @Option(help: "Classifier file written by classify --out.") var model: String
    @Option(help: "Series to classify: a .ts file, or CSV (one series per row).") var input: String
    @Option(
        name: .customLong("label-column"),
        help: "CSV input: where the label is (first or last), or none for series without labels.")
    var labelColumn: LabeledRows.LabelColumn = .first
    @Option(help: "Also write every class's probability per series to this CSV file.") var csv: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        compute.apply()
        try overwrite.check(csv, flag: "--csv") { $0.lowercased().hasSuffix(".csv") }
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
        let probabilities = classifier.probabilities(data)
        let predicted = probabilities.map { p in p.indices.reduce(0) { p[$1] > p[$0] ? $1 : $0 } }
        for (i, k) in predicted.enumerated() {
            let truth = data.labels.map { "\t(true \($0[i]))" } ?? ""
            print("\(i)\t\(classifier.classNames[k])\t" + String(format: "%.4f", probabilities[i][k]) + truth)
        }
        var summary: [String: Any] = ["series": data.count, "model": model]
        if let labels = data.labels {
            let truth = classifier.classIndices(labels)
            let accuracy = Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(max(truth.count, 1))
            print(String(format: "accuracy %.4f (%d series)", accuracy, data.count))
            summary["accuracy"] = accuracy
        }
        if let csv {
            var text =
                (["index", "predicted"] + (data.labels == nil ? [] : ["label"]) + classifier.classNames)
                .map(csvField).joined(separator: ",") + "\n"
            for (i, p) in probabilities.enumerated() {
                var fields = [String(i), csvField(classifier.classNames[predicted[i]])]
                if let labels = data.labels { fields.append(csvField(labels[i])) }
                text += (fields + p.map { String($0) }).joined(separator: ",") + "\n"
            }
            try reporting { try AtomicFile.write(Data(text.utf8), to: csv) }
            print("probabilities written to \(csv)")
        }
        output.emit(summary)
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
