import ArgumentParser
import Datasets
import Foundation
import LanguageModel
import SeqTensor

/// `seqtool eval`: mean next-character loss of a model on a text, in nats and bits per character.
///
/// By default the text is cut into `--streams` contiguous segments scored side by side as one
/// batch, forward only; each segment after the first starts `--warmup` characters early so that
/// its state is warmed by the text before it (those predictions are not counted), and every
/// character after the first is predicted once. `--exact` (or `--streams 1`) scores the text as
/// one stream from a zero state, reading it a piece at a time.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Loss of a character model on a text (B warmed-up streams side by side, or --exact: one stream)."
    )

    static let defaultStreams = 64

    @Option(help: "Character model (.safetensors).") var model: String
    @Option(help: "Text file or folder of text files, or a prepared corpus.") var corpus: String
    @Option(help: "Characters per chunk of each stream (the state is carried between chunks).") var chunk = 256
    @Option(
        help: ArgumentHelp(
            "Segments of the text scored side by side as one batch; 1 is --exact. (default: \(defaultStreams))",
            discussion: "Fewer when the text has fewer characters to predict."))
    var streams: Int?
    @Option(help: "Characters each segment but the first is run on before its own, uncounted.") var warmup = 512
    @Flag(help: "Score the text as one stream from a zero state (the exact loss; slower).") var exact = false
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions

    func validate() throws {
        try require(chunk > 0, "--chunk", "must be positive")
        if let streams { try require(streams > 0, "--streams", "must be positive") }
        try require(warmup >= 0, "--warmup", "must not be negative")
        try require(!exact || (streams ?? 1) == 1, "--exact", "scores one stream; drop --streams \(streams ?? 1)")
    }

    func run() throws {
        compute.apply()
        let loaded = try reporting { try CharLanguageModel.load(path: model).model }
        let requested = exact ? 1 : (streams ?? Self.defaultStreams)
        let start = Date()
        let loss: Float, predictions: Int, used: Int
        if requested == 1 {
            // One stream reads the text a piece at a time: memory stays the same for any size.
            var scoring = StreamingLoss(model: loaded, chunk: chunk)
            try reporting {
                try CorpusReader.forEachPiece(ofCorpus: corpus, vocabulary: loaded.vocabulary) { scoring.feed($0) }
            }
            (loss, predictions, used) = (scoring.finish(), scoring.count, 1)
            guard predictions > 0 else {
                throw CommandError("\(corpus): needs at least 2 characters to predict one")
            }
        } else {
            // B streams read B places of the token ids at once: one byte per character in memory
            // (a prepared corpus is mapped instead), never an Int per character.
            let segments = try reporting {
                try WarmedSegments(
                    tokens: Corpus.load(path: corpus, vocabulary: loaded.vocabulary).tokens, streams: requested,
                    warmup: warmup, steps: chunk, source: corpus)
            }
            let (total, count) = loaded.lossSum(over: segments)
            (loss, predictions, used) = (Float(total / Double(count)), count, segments.streams)
        }
        let seconds = Date().timeIntervalSince(start)
        let rate = Double(predictions) / seconds
        let warmupUsed = used == 1 ? 0 : warmup
        print(
            String(
                format: "%@: loss %.4f nats/char, %.4f bits/char over %d predictions (%.1f s, %.0f chars/s; ",
                corpus, loss, loss / log(2), predictions, seconds, rate)
                + (used == 1 ? "one stream)" : "\(used) streams, warm-up \(warmupUsed))"))
        output.emit([
            "loss": loss, "bpc": Double(loss) / log(2), "predictions": predictions, "seconds": seconds,
            "model": model,
            "corpus": corpus, "chars_per_s": rate, "streams": used, "warmup": warmupUsed,
        ])
    }
}
