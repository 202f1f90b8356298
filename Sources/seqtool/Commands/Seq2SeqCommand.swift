import ArgumentParser
import Datasets
import Feedforward
import Foundation
import Framings
import Recurrent
import SeqTensor
import Training

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
}

/// `seqtool seq2seq train`.
struct Seq2SeqTrain: ParsableCommand {
    enum Defaults: TrainingDefaults {
        static var options: TrainingOptions { Seq2SeqTask.defaultOptions() }
    }

    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train an encoder-decoder.")

    @Option(help: "Training pairs (TSV: input<TAB>output).") var train: String
    @Option(help: "Test pairs; exact-match accuracy is reported.") var test: String?
    @Option(help: "Recurrent cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units.") var hidden = 256
    @Option(help: "Embedding size.") var embed = 32
    @Option(help: "Layers of the encoder and of the decoder.") var layers = 1
    @Option(help: "Training steps.") var steps = Defaults.options.steps
    @Option(help: "Pairs per step.") var batch = Seq2SeqTask.defaultBatch
    @OptionGroup var optimization: OptimizerFlags<Defaults>
    @OptionGroup var scheduling: ScheduleFlags<Defaults>
    @OptionGroup var checkpoints: CheckpointFlags<Defaults>
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
        try require(!checkpoints.resume || out != nil, "--resume", "needs --out (the run saved there)")
    }

    func run() throws {
        compute.apply()
        try overwrite.check(out, flag: "--out") { checkpoints.resume || isSafeTensors($0, format: Seq2Seq.format) }
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
        var options = Seq2SeqTask.defaultOptions(steps: steps)
        optimization.apply(to: &options)
        options.schedule = scheduling.schedule(base: optimization.lr, totalSteps: steps, epochSteps: 1)
        options.checkpointEvery = checkpoints.checkpointEvery
        let task = try reporting {
            try Seq2SeqTask(model: m, pairs: trainPairs, source: train, batch: batch, seed: seeding.seed &+ 1)
        }
        let session = TrainingSession(task: task, options: options)
        session.checkpointPath = out
        if checkpoints.resume, let out { try resumeSession(session, from: out) }
        printError(
            "seq2seq: \(trainPairs.pairs.count) pairs, vocabulary \(characters.count) + <bos>/<eos>, "
                + "\(cell.name) \(layers)x\(hidden), \(steps) steps of \(batch)")
        let (_, seconds) = try runTraining(
            session, progress: TrainingProgress(totalSteps: steps, logEvery: max(1, steps / 20)), what: "")
        let loss = session.curves.train.last?.loss ?? .nan
        let trainAccuracy = try reporting {
            try m.exactMatch(StringPairs(pairs: Array(trainPairs.pairs.prefix(2000))), source: train)
        }
        print(
            String(
                format: "trained %d steps in %.1f s; final loss %.4f; exact match on (up to 2000) training pairs %.4f",
                session.step, seconds, loss, trainAccuracy))
        var testAccuracy: Double?
        if let testPairs, let test {
            testAccuracy = try reporting { try m.exactMatch(testPairs, source: test) }
            print(String(format: "exact match on %d test pairs: %.4f", testPairs.pairs.count, testAccuracy!))
            for pair in testPairs.pairs.prefix(3) {
                let got = m.decode(
                    m.greedy([try m.encode(pair.input, source: test)], maxLength: 2 * pair.input.count + 10)[0])
                print("  \(pair.input) -> \(got)\(got == pair.output ? "" : "  (expected \(pair.output))")")
            }
        }
        if let out {
            try reporting { try session.saveModel(to: out) }
            print("model written to \(out)")
        }
        var summary: [String: Any] = [
            "steps": session.step, "seconds": seconds, "final_loss": loss, "train_exact_match": trainAccuracy,
        ]
        if let testAccuracy { summary["test_exact_match"] = testAccuracy }
        if let out { summary["out"] = out }
        output.emit(summary)
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
            let accuracy = try reporting { try m.exactMatch(pairs, source: test) }
            print(String(format: "exact match on %d test pairs: %.4f", pairs.pairs.count, accuracy))
            output.emit(["test_exact_match": accuracy, "test_pairs": pairs.pairs.count])
        }
    }
}
