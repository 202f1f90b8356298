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
            One line per series: its index, the predicted label and that label's probability (and the \
            true label when the file has labels). With labels, the accuracy follows.
              seqtool classify --train GunPoint_TRAIN.ts --model fcn --out gun.safetensors
              seqtool predict --model gun.safetensors --input GunPoint_TEST.ts --csv predictions.csv
            """)

    @Option(help: "Classifier file written by classify --out (one model or an --ensemble).") var model: String
    @Option(help: "Series to classify: a .ts file, or CSV (one series per row).") var input: String
    @Option(
        name: .customLong("label-column"),
        help: "CSV input: where the label is (first or last), or none for series without labels.")
    var labelColumn: LabelColumn = .first
    @Option(help: "Also write every class's probability per series to this CSV file.") var csv: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        compute.apply()
        try overwrite.check(csv, flag: "--csv") { $0.lowercased().hasSuffix(".csv") }
        let classifier = try reporting { try loadSeriesClassifier(path: model) }
        let data = try reporting { try LabeledSeries.read(path: input, labelColumn: labelColumn) }
        if let problem = classifier.problem(with: data, source: input) { throw CommandError(problem) }
        let names = classifier.classNames, probabilities = classifier.probabilities(data)
        let predicted = probabilities.map { p in
            p.withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: p.count) }
        }
        for (i, k) in predicted.enumerated() {
            let truth = data.labels.map { "\t(true \($0[i]))" } ?? ""
            print("\(i)\t\(names[k])\t" + String(format: "%.4f", probabilities[i][k]) + truth)
        }
        var summary: [String: Any] = ["series": probabilities.count, "model": model]
        if let labels = data.labels {
            let truth = classifier.classIndices(labels)
            let right = zip(predicted, truth).filter { $0 == $1 }.count
            let accuracy = Double(right) / Double(max(labels.count, 1))
            print(String(format: "accuracy %.4f (%d series)", accuracy, labels.count))
            summary["accuracy"] = accuracy
        }
        if let csv {
            var text =
                (["index", "predicted"] + (data.labels == nil ? [] : ["label"]) + names)
                .map(csvField).joined(separator: ",") + "\n"
            for (i, p) in probabilities.enumerated() {
                var fields = [String(i), csvField(names[predicted[i]])]
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
