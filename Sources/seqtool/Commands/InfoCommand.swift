import ArgumentParser
import Feedforward
import Foundation
import LanguageModel

/// `seqtool info`: what a model file holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Architecture, size, vocabulary and training summary of a model.")

    @Option(help: "Model file (.safetensors).") var model: String
    @Flag(help: "Print one JSON object instead.") var json = false

    /// The training summary's keys in the model's metadata.
    static let trainingKeys = ["steps", "train_loss", "val_loss", "corpus", "optimizer", "lr"]

    func run() throws {
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
                    "format": metadata["format"] ?? "", "cell": c.cell.rawValue, "embed": c.embedding,
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
            "architecture: Embedding(\(c.vocabularySize), \(c.embedding)) -> \(c.cell.rawValue.uppercased())"
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
