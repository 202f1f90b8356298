import ArgumentParser
import Datasets
import Foundation
import LanguageModel
import SeqTensor

/// `seqtool eval`: mean next-character loss of a model on a text, in nats and bits per character.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Loss of a character model on a text (one stream from a zero state, carried across chunks)."
    )

    @Option(help: "Character model (.safetensors).") var model: String
    @Option(help: "Text file or folder of text files.") var corpus: String
    @Option(help: "Characters per chunk (the state is carried between chunks).") var chunk = 256
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions

    func validate() throws {
        try require(chunk > 0, "--chunk", "must be positive")
    }

    func run() throws {
        compute.apply()
        let loaded = try reporting { try CharLanguageModel.load(path: model).model }
        let text = try reporting { try TextCorpus(path: corpus).text }
        let ids = try reporting { try loaded.vocabulary.encode(text, source: corpus) }
        guard ids.count >= 2 else { throw CommandError("\(corpus): needs at least 2 characters to predict one") }
        let stream = try reporting {
            try StreamBatches(tokens: ids, batch: 1, steps: chunk, source: corpus, evaluationOnly: true)
        }
        let start = Date()
        let loss = loaded.meanLoss(over: stream)
        let seconds = Date().timeIntervalSince(start)
        print(
            String(
                format: "%@: loss %.4f nats/char, %.4f bits/char over %d predictions (%.1f s)", corpus, loss,
                loss / log(2), ids.count - 1, seconds))
        output.emit([
            "loss": loss, "bpc": Double(loss) / log(2), "predictions": ids.count - 1, "seconds": seconds,
            "model": model,
            "corpus": corpus,
        ])
    }
}
