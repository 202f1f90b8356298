import ArgumentParser
import Datasets
import Feedforward
import Foundation
import Framings
import Recurrent
import SeqTensor

/// `seqtool seq2seq`: train an encoder-decoder on string pairs, or translate with one.
struct Seq2SeqCommand: CommandWithModes {
    static let modes: [(flag: String, command: any ParsableCommand.Type)] = [
        ("--train", Seq2SeqTrain.self), ("--model", Seq2SeqTranslate.self),
    ]

    static let configuration = CommandConfiguration(
        commandName: "seq2seq",
        abstract: "Encoder-decoder on string pairs: train one, or translate with one.",
        discussion: """
              seqtool make-pairs reverse --out train.tsv --count 20000 --seed 1
              seqtool make-pairs reverse --out test.tsv --count 1000 --seed 2
              seqtool seq2seq train --train train.tsv --test test.tsv --out rev.safetensors
              seqtool seq2seq translate --model rev.safetensors --input 0123456789
            """,
        subcommands: [Seq2SeqTrain.self, Seq2SeqTranslate.self, OlderSpelling<Self>.self],
        defaultSubcommand: OlderSpelling<Self>.self
    )

    /// The fraction of `pairs` whose greedy decoding equals the expected output exactly.
    static func exactMatch(_ m: Seq2Seq, _ pairs: StringPairs, source: String) throws -> Double {
        var correct = 0
        var start = 0
        let all = try pairs.pairs.map { try m.encode($0.input, source: source) }
        while start < all.count {
            let end = min(all.count, start + 256)
            let decoded = m.greedy(
                Array(all[start..<end]), maxLength: 2 * (all[start..<end].map(\.count).max() ?? 0) + 10)
            for (k, d) in decoded.enumerated() where m.decode(d) == pairs.pairs[start + k].output { correct += 1 }
            start = end
        }
        return Double(correct) / Double(pairs.pairs.count)
    }
}

/// `seqtool seq2seq train`.
struct Seq2SeqTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train an encoder-decoder.")

    @Option(help: "Training pairs (TSV: input<TAB>output).") var train: String
    @Option(help: "Test pairs; exact-match accuracy is reported.") var test: String?
    @Option(help: "The cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units.") var hidden = 256
    @Option(help: "Embedding size.") var embed = 32
    @Option(help: "Layers of the encoder and of the decoder.") var layers = 1
    @Option(help: "Training steps.") var steps = 4000
    @Option(help: "Pairs per step.") var batch = 64
    @Option(help: "Learning rate (cosine-annealed).") var lr: Float = 3e-3
    @Option(help: "Gradient norm clip.") var clip: Float = 1
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Model file to write after training.") var out: String?
    @OptionGroup var output: JSONOptions
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        for (v, flag) in [
            (hidden, "--hidden"), (embed, "--embed"), (layers, "--layers"), (steps, "--steps"), (batch, "--batch"),
        ] {
            try require(v > 0, flag, "must be positive")
        }
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
    }

    func run() throws {
        compute.apply()
        try overwrite.check(out, flag: "--out") { isSafeTensors($0, format: Seq2Seq.format) }
        let trainPairs = try reporting { try StringPairs(tsv: train) }
        let testPairs = try test.map { path in try reporting { try StringPairs(tsv: path) } }
        let characters = Set(
            (trainPairs.pairs + (testPairs?.pairs ?? [])).flatMap {
                Array($0.input.unicodeScalars) + Array($0.output.unicodeScalars)
            }
        ).sorted { $0.value < $1.value }
        let m = Seq2Seq(
            cell: cell, characters: characters, embedding: embed, hidden: hidden, layers: layers,
            random: RandomSource(seed: seeding.seed))
        printError(
            "seq2seq: \(trainPairs.pairs.count) pairs, vocabulary \(characters.count) + <bos>/<eos>, "
                + "\(cell.name) \(layers)x\(hidden), \(steps) steps of \(batch)")
        let start = Date()
        let loss = try fit(m, trainPairs)
        let seconds = Date().timeIntervalSince(start)
        let trainAccuracy = try reporting {
            try Seq2SeqCommand.exactMatch(m, StringPairs(pairs: Array(trainPairs.pairs.prefix(2000))), source: train)
        }
        print(
            String(
                format: "trained %d steps in %.1f s; final loss %.4f; exact match on (up to 2000) training pairs %.4f",
                steps, seconds, loss, trainAccuracy))
        var testAccuracy: Double?
        if let testPairs, let test {
            testAccuracy = try reporting { try Seq2SeqCommand.exactMatch(m, testPairs, source: test) }
            print(String(format: "exact match on %d test pairs: %.4f", testPairs.pairs.count, testAccuracy!))
            for pair in testPairs.pairs.prefix(3) {
                let got = m.decode(
                    m.greedy([try m.encode(pair.input, source: test)], maxLength: 2 * pair.input.count + 10)[0])
                print("  \(pair.input) -> \(got)\(got == pair.output ? "" : "  (expected \(pair.output))")")
            }
        }
        if let out {
            try reporting { try m.save(to: out, extra: ["steps": String(steps)]) }
            print("model written to \(out)")
        }
        var summary: [String: Any] = [
            "steps": steps, "seconds": seconds, "final_loss": loss, "train_exact_match": trainAccuracy,
        ]
        if let testAccuracy { summary["test_exact_match"] = testAccuracy }
        if let out { summary["out"] = out }
        output.emit(summary)
    }

    /// Trains on batches of pairs drawn at random; Ctrl-C saves --out and exits with 130.
    /// Returns the last step's loss.
    func fit(_ m: Seq2Seq, _ pairs: StringPairs) throws -> Float {
        let sources = try pairs.pairs.map { try m.encode($0.input, source: train) }
        let targets = try pairs.pairs.map { try m.encode($0.output, source: train) }
        let optimizer = Adam(m.parameters, learningRate: lr)
        let schedule = LearningRateSchedule(base: lr, decay: .cosine(totalSteps: steps, minimum: lr / 50))
        var generator = SeededGenerator(seed: seeding.seed &+ 1)
        Interrupt.install()
        let progress = Progress(total: steps, logEvery: max(1, steps / 20))
        var loss: Float = .nan
        for s in 0..<steps {
            let rows = (0..<batch).map { _ in generator.nextInt(below: sources.count) }
            optimizer.learningRate = schedule.rate(at: s)
            let l = m.loss(sources: rows.map { sources[$0] }, targets: rows.map { targets[$0] })
            loss = try reporting { try optimizer.minimize(l, clip: clip, step: s + 1).loss }
            progress.update(step: s + 1, fields: [("loss", String(format: "%.4f", loss))], tokensPerSecond: nil)
            if Interrupt.isRequested {
                progress.finish()
                if let out { try reporting { try m.save(to: out) } }
                printError("interrupted at step \(s + 1)" + (out.map { "; model saved to \($0)" } ?? ""))
                throw ExitCode(130)
            }
        }
        progress.finish()
        return loss
    }
}

/// `seqtool seq2seq translate`.
struct Seq2SeqTranslate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate", abstract: "Translate a string, or score test pairs, with a trained model.")

    @Option(help: "A trained model.") var model: String
    @Option(help: "Translate this string.") var input: String?
    @Option(help: "Test pairs; exact-match accuracy is reported.") var test: String?
    @OptionGroup var compute: ThreadOptions
    @OptionGroup var output: JSONOptions

    func validate() throws {
        try require(input != nil || test != nil, "--input", "or --test is required")
    }

    func run() throws {
        compute.apply()
        let m = try reporting { try Seq2Seq.load(path: model) }
        if let input {
            let ids = try reporting { try m.encode(input, source: "--input") }
            print(m.decode(m.greedy([ids], maxLength: 2 * ids.count + 10)[0]))
        }
        if let test {
            let pairs = try reporting { try StringPairs(tsv: test) }
            let accuracy = try reporting { try Seq2SeqCommand.exactMatch(m, pairs, source: test) }
            print(String(format: "exact match on %d test pairs: %.4f", pairs.pairs.count, accuracy))
            output.emit(["test_exact_match": accuracy, "test_pairs": pairs.pairs.count])
        }
    }
}
