import ArgumentParser
import Datasets
import Foundation
import SeqTensor

/// `seqtool make-corpus`: writes the built-in text that `train-char` uses without `--corpus`.
struct MakeCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-corpus",
        abstract: "Write seqtool's built-in play-shaped text (what train-char trains on without --corpus)."
    )

    @Option(help: "Text file to write.") var out: String
    @Option(help: "Approximate size in characters.") var characters = TrainCharCommand.builtinCorpusSize
    @OptionGroup var seeding: SeedOptions

    func validate() throws { try require(characters > 0, "--characters", "must be positive") }

    func run() throws {
        let text = SyntheticCorpus.generate(characters: characters, seed: seeding.seed)
        try reporting { try AtomicFile.write(text, to: out) }
        print("wrote \(text.unicodeScalars.count) characters to \(out)")
    }
}
