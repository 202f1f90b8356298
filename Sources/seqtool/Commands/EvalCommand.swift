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
        // The text streams through a piece at a time: memory stays the same for any size.
        let start = Date()
        var scoring = StreamingLoss(model: loaded, chunk: chunk)
        try reporting {
            try CorpusReader.forEachPiece(ofCorpus: corpus, vocabulary: loaded.vocabulary) { scoring.feed($0) }
        }
        let loss = scoring.finish()
        guard scoring.count > 0 else { throw CommandError("\(corpus): needs at least 2 characters to predict one") }
        let seconds = Date().timeIntervalSince(start)
        let predictions = scoring.count
        print(
            String(
                format: "%@: loss %.4f nats/char, %.4f bits/char over %d predictions (%.1f s)", corpus, loss,
                loss / log(2), predictions, seconds))
        output.emit([
            "loss": loss, "bpc": Double(loss) / log(2), "predictions": predictions, "seconds": seconds,
            "model": model,
            "corpus": corpus,
        ])
    }
}
