import ArgumentParser
import Foundation
import LanguageModel
import SeqTensor

/// `seqtool sample`: generate text from a character model (one-to-many), streaming to stdout.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a character model.")

    @Option(help: "Character model (.safetensors) written by train-char.") var model: String
    @Option(help: "Text to start from (its characters must be in the model's vocabulary).") var prime = ""
    @Option(help: "Characters to generate.") var length = 1000
    @Option(help: "Softmax temperature (> 0): below 1 is more conservative, above 1 more random.") var temperature:
        Float = 1
    @Option(name: .customLong("top-k"), help: "Sample only among the K most likely characters.") var topK: Int?
    @Option(
        name: .customLong("top-p"),
        help: "Sample only among the most likely characters whose probability sums to P, in (0, 1].") var topP: Float?
    @Flag(help: "Always take the most likely character.") var greedy = false
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions

    func validate() throws {
        try require(length >= 0, "--length", "must not be negative")
        try require(temperature > 0 && temperature.isFinite, "--temperature", "must be > 0")
        try require(topK.map { $0 > 0 } ?? true, "--top-k", "must be positive")
        try require(topP.map { $0 > 0 && $0 <= 1 } ?? true, "--top-p", "must be in (0, 1]")
    }

    func run() throws {
        compute.apply()
        let loaded = try reporting { try CharLanguageModel.load(path: model).model }
        let options = SamplingOptions(temperature: temperature, topK: topK, topP: topP, greedy: greedy)
        var generator = SeededGenerator(seed: seeding.seed)
        // The prime is checked before anything is printed: an unknown character is only an error.
        _ = try reporting { try loaded.vocabulary.encode(Array(prime.unicodeScalars), source: "--prime") }
        let out = FileHandle.standardOutput
        out.write(Data(prime.utf8))
        var buffer = String.UnicodeScalarView()
        try reporting {
            try loaded.sample(prime: prime, length: length, options: options, generator: &generator) { c in
                buffer.append(c)
                if c == "\n" || buffer.count >= 64 {
                    out.write(Data(String(buffer).utf8))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        out.write(Data((String(buffer) + "\n").utf8))
    }
}
