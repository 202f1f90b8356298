import ArgumentParser
import Classification
import Feedforward
import Foundation
import LanguageModel
import SeqTensor

/// `seqtool info`: what a model file holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Architecture, size, vocabulary or classes, and training summary of a model file.")

    @Option(help: "Model file (.safetensors).") var model: String
    @Flag(help: "Print one JSON object instead.") var json = false

    /// The training summary's keys in the model's metadata.
    static let trainingKeys = ["steps", "train_loss", "val_loss", "corpus", "optimizer", "lr", "ranks"]

    func run() throws {
        let format = try reporting { try SafeTensors.read(path: model) }.metadata["format"] ?? ""
        switch format {
        case SeriesClassifier.format: try describeClassifier(try reporting { try SeriesClassifier.load(path: model) })
        case SequenceClassifier.format:
            try describeClassifier(try reporting { try SequenceClassifier.load(path: model) }, format: format)
        default: try describeCharModel()
        }
    }

    /// A classifier: its architecture, classes, parameters and training summary.
    func describeClassifier(_ loaded: SeriesClassifier) throws {
        let metadata = try reporting { try SafeTensors.read(path: model) }.metadata
        let summary: [String: Any] = [
            "format": SeriesClassifier.format, "model": metadata["model"] ?? "", "channels": loaded.channels,
            "classes": loaded.classNames, "params": loaded.parameterCount,
            "training": metadata.filter { ["epochs", "best_epoch"].contains($0.key) },
        ]
        if json { return print(jsonLine(summary)) }
        print("\(model): \(SeriesClassifier.format)")
        print(
            "architecture: \(metadata["model"] ?? "") over \(loaded.channels) channel(s), "
                + (metadata["hidden"].map { "hidden \($0)" } ?? "FCN 128-256-128"))
        print("classes (\(loaded.classCount)): " + loaded.classNames.joined(separator: ", "))
        print("parameters: \(loaded.parameterCount)")
        print("training: epochs \(metadata["epochs"] ?? "?"), kept epoch \(metadata["best_epoch"] ?? "?")")
        for (name, v) in loaded.stateDict {
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v.shape)")
        }
    }

    /// A classifier of CSV rows.
    func describeClassifier(_ loaded: SequenceClassifier, format: String) throws {
        let metadata = try reporting { try SafeTensors.read(path: model) }.metadata
        let summary: [String: Any] = [
            "format": format, "model": metadata["model"] ?? "", "features": loaded.featureCount,
            "classes": loaded.classCount, "params": loaded.parameterCount,
        ]
        if json { return print(jsonLine(summary)) }
        print("\(model): \(format)")
        print("architecture: \(metadata["model"] ?? "") over rows of \(loaded.featureCount) values")
        print("classes: \(loaded.classCount) (0...\(loaded.classCount - 1))")
        print("parameters: \(loaded.parameterCount)")
        for (name, v) in loaded.stateDict {
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v.shape)")
        }
    }

    /// A character model: architecture, vocabulary and training summary.
    func describeCharModel() throws {
        let (loaded, metadata) = try reporting { try CharLanguageModel.load(path: model) }
        let c = loaded.configuration
        let vocab = loaded.vocabulary.characters.map { c -> String in
            switch c {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case " ": return "␣"
            default: return String(c)
            }
        }.joined()
        let training = Self.trainingKeys.compactMap { k in metadata[k].flatMap { $0.isEmpty ? nil : "\(k) \($0)" } }
        if json {
            print(
                jsonLine([
                    "format": metadata["format"] ?? "", "cell": c.cell.name, "embed": c.embedding,
                    "hidden": c.hidden,
                    "layers": c.layers, "vocab_size": c.vocabularySize, "params": loaded.parameterCount,
                    "vocab": loaded.vocabulary.characters.map { String($0) },
                    "training": metadata.filter { Self.trainingKeys.contains($0.key) },
                ]))
            return
        }
        print("\(model): \(metadata["format"] ?? "")")
        let dropout = c.dropout > 0 ? ", dropout \(c.dropout)" : ""
        print(
            "architecture: Embedding(\(c.vocabularySize), \(c.embedding)) -> \(c.cell.name.uppercased())"
                + "(\(c.embedding) -> \(c.hidden), layers \(c.layers)\(dropout)) -> Linear(\(c.hidden), "
                + "\(c.vocabularySize))"
        )
        print("parameters: \(loaded.parameterCount)")
        print("vocabulary (\(c.vocabularySize)): \(vocab)")
        print("training: " + (training.isEmpty ? "no summary" : training.joined(separator: ", ")))
        for (name, p) in loaded.namedParameters {
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(p.shape)")
        }
    }
}
