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
        let file = try reporting { try SafeTensors.read(path: model) }
        if Classifier.isClassifier(file.metadata) {
            try describeClassifier(try reporting { try Classifier.load(file, path: model) }, file.metadata)
        } else if ClassifierEnsemble.isEnsemble(file.metadata) {
            describeEnsemble(try reporting { try ClassifierEnsemble.load(file, path: model) }, file.metadata)
        } else {
            try describeCharModel()
        }
    }

    /// A classifier: its architecture, classes, parameters and training summary.
    func describeClassifier(_ loaded: Classifier, _ metadata: [String: String]) throws {
        let trainingKeys = ["steps", "epochs", "best_epoch", "train_accuracy", "ridge_alpha"]
        let summary: [String: Any] = [
            "format": metadata["format"] ?? "", "model": loaded.architecture.name, "channels": loaded.channels,
            "classes": loaded.classNames, "params": loaded.parameterCount,
            "training": metadata.filter { trainingKeys.contains($0.key) },
        ]
        if json { return print(jsonLine(summary)) }
        print("\(model): \(metadata["format"] ?? "")")
        let length = loaded.length.map { " of \($0) steps" } ?? ""
        print("architecture: \(loaded.architecture.name) over \(loaded.channels) channel(s)\(length)")
        print("classes (\(loaded.classCount)): " + loaded.classNames.joined(separator: ", "))
        print("parameters: \(loaded.parameterCount)")
        let training = trainingKeys.compactMap { k in metadata[k].map { "\(k) \($0)" } }
        print("training: " + (training.isEmpty ? "no summary" : training.joined(separator: ", ")))
        for (name, v) in loaded.stateDict {
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v.shape)")
        }
    }

    /// An ensemble: its members' architectures, classes, parameters and training summaries.
    func describeEnsemble(_ loaded: ClassifierEnsemble, _ metadata: [String: String]) {
        let trainingKeys = ["steps", "epochs", "best_epoch", "seed"]
        let members = loaded.members.enumerated().map { k, member -> [String: Any] in
            [
                "model": member.architecture.name, "params": member.parameterCount,
                "training": loaded.memberSummaries[k].filter { trainingKeys.contains($0.key) },
            ]
        }
        if json {
            return print(
                jsonLine([
                    "format": metadata["format"] ?? "", "model": loaded.modelName, "channels": loaded.channels,
                    "classes": loaded.classNames, "params": loaded.members.reduce(0) { $0 + $1.parameterCount },
                    "members": members, "training": metadata.filter { $0.key == "train_accuracy" },
                ]))
        }
        print("\(model): \(metadata["format"] ?? "") (\(loaded.modelName), class probabilities averaged)")
        print("classes (\(loaded.classCount)): " + loaded.classNames.joined(separator: ", "))
        for (k, member) in loaded.members.enumerated() {
            let training = trainingKeys.compactMap { key in loaded.memberSummaries[k][key].map { "\(key) \($0)" } }
            print(
                "member \(k): \(member.architecture.name) over \(member.channels) channel(s), "
                    + "\(member.parameterCount) parameters; "
                    + (training.isEmpty ? "no summary" : training.joined(separator: ", ")))
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
