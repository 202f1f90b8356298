import ArgumentParser
import Datasets
import Feedforward
import Foundation
import LanguageModel
import Recurrent
import SeqTensor

/// `seqtool train-char`: a char-rnn style character model (many-to-many), trained with
/// truncated BPTT over parallel streams of the corpus.
struct TrainCharCommand: ParsableCommand {
    /// Characters of the built-in corpus (`corpora/plays.txt` is this text, written by make-corpus).
    static let builtinCorpusSize = 600_000

    static let configuration = CommandConfiguration(
        commandName: "train-char",
        abstract: "Train a character-level language model (Embedding -> LSTM|GRU|RNN -> Linear).",
        discussion: """
        Flags follow char-rnn: --hidden is -rnn_size, --layers -num_layers, --seq -seq_length,
        --batch -batch_size. Without --corpus it trains on seqtool's built-in play-shaped text.
        The model is written to --out (safetensors, loadable by PyTorch); the optimizer state for
        --resume goes beside it (<out>.state.safetensors).
        """
    )

    @Option(help: "Text file or folder of text files (UTF-8). Default: the built-in corpus.") var corpus: String?
    @Option(help: "Cell: lstm, gru, rnn (tanh) or rnn_relu.") var cell: CellKind = .lstm
    @Option(help: "Hidden units per layer (char-rnn -rnn_size).") var hidden = 256
    @Option(help: "Recurrent layers (char-rnn -num_layers).") var layers = 2
    @Option(help: "Embedding size.") var embed = 64
    @Option(help: "Dropout between recurrent layers, in [0, 1).") var dropout: Float = 0
    @Option(help: "BPTT length: characters per stream per step (char-rnn -seq_length).") var seq = 64
    @Option(help: "Parallel streams per step (char-rnn -batch_size).") var batch = 32
    @Option(help: "Training steps (default 2000 unless --epochs is given).") var steps: Int?
    @Option(help: "Passes over the training text, instead of --steps.") var epochs: Int?
    @Option(help: "Learning rate.") var lr: Float = 2e-3
    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this every --lr-decay-every steps.") var lrDecay: Float = 1
    @Option(name: .customLong("lr-decay-every"), help: "Steps between learning-rate decays (default: one epoch).") var lrDecayEvery: Int?
    @Option(help: "Schedule: step (with --lr-decay), cosine (to 0 over the run) or constant.") var schedule = "step"
    @Option(help: "Steps of linear learning-rate warm-up.") var warmup = 0
    @Option(help: "Optimizer: adam, adamw, rmsprop, sgd, adagrad.") var optimizer: OptimizerKind = .adam
    @Option(help: "Clip the global gradient norm to this (0: off).") var clip: Float = 5
    @Option(name: .customLong("val-frac"), help: "Fraction of the corpus (its end) held out for validation.") var valFrac: Double = 0.1
    @Option(name: .customLong("eval-every"), help: "Validation loss every N steps (0: only at the end).") var evalEvery = 250
    @Option(name: .customLong("checkpoint-every"), help: "Save model and training state every N steps (0: only at the end).") var checkpointEvery = 500
    @Option(help: "Random seed (initialisation and dropout).") var seed: UInt64 = 1
    @Option(help: "Threads for matrix products.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Model file to write.") var out = "charlm.safetensors"
    @Flag(help: "Continue the run saved at --out (model and its .state.safetensors).") var resume = false
    @Flag(help: "End with one JSON line summarising the run.") var json = false
    @Option(help: "Write an SVG of the training and validation loss curves.") var plot: String?
    @Flag(help: "Overwrite --out or --plot even if they are files of another kind.") var force = false

    func validate() throws {
        try require(hidden > 0, "--hidden", "must be positive")
        try require(layers > 0, "--layers", "must be positive")
        try require(embed > 0, "--embed", "must be positive")
        try require(seq > 0, "--seq", "must be positive")
        try require(batch > 0, "--batch", "must be positive")
        try require(dropout >= 0 && dropout < 1, "--dropout", "must be in [0, 1)")
        try require(steps.map { $0 > 0 } ?? true, "--steps", "must be positive")
        try require(epochs.map { $0 > 0 } ?? true, "--epochs", "must be positive")
        try require(steps == nil || epochs == nil, "--steps", "and --epochs cannot both be given")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
        try require(lrDecay > 0 && lrDecay <= 1, "--lr-decay", "must be in (0, 1]")
        try require(lrDecayEvery.map { $0 > 0 } ?? true, "--lr-decay-every", "must be positive")
        try require(["step", "cosine", "constant"].contains(schedule), "--schedule", "must be step, cosine or constant")
        try require(warmup >= 0, "--warmup", "must not be negative")
        try require(clip >= 0, "--clip", "must not be negative")
        try require(valFrac >= 0 && valFrac < 1, "--val-frac", "must be in [0, 1)")
        try require(evalEvery >= 0, "--eval-every", "must not be negative")
        try require(checkpointEvery >= 0, "--checkpoint-every", "must not be negative")
        try require(threads > 0, "--threads", "must be positive")
    }

    func run() throws {
        BLASThreads.set(threads)
        let statePath = CharTrainer.statePath(forModel: out)
        try checkOverwrite(out, force: force || resume, flag: "--out") { isSafeTensors($0, format: CharLanguageModel.format) }
        if let plot { try checkOverwrite(plot, force: force, flag: "--plot") { isSVG($0) } }

        // Data: the whole text fixes the vocabulary; the first 1 - valFrac trains, the rest validates.
        let text: [Unicode.Scalar], source: String
        if let corpus {
            text = try reporting { try TextCorpus(path: corpus).text }
            source = corpus
        } else {
            text = Array(SyntheticCorpus.generate(characters: Self.builtinCorpusSize).unicodeScalars)
            source = "built-in corpus"
        }
        let model: CharLanguageModel
        if resume {
            // The state file holds the weights too, consistent with the optimizer state in it.
            guard FileManager.default.fileExists(atPath: statePath) else { throw CommandError("--resume: no training state at \(statePath)") }
            model = try reporting { try CharLanguageModel.load(path: statePath).model }
        } else {
            let vocabulary = CharVocabulary(text: text)
            let configuration = CharLanguageModel.Configuration(cell: cell, vocabularySize: vocabulary.count, embedding: embed,
                                                                hidden: hidden, layers: layers, dropout: dropout)
            model = CharLanguageModel(configuration, vocabulary: vocabulary, random: RandomSource(seed: seed))
        }
        let ids = try reporting { try model.vocabulary.encode(text, source: source) }
        let (training, validation, trainCount) = try reporting {
            try StreamBatches.split(ids, validationFraction: valFrac, batch: batch, steps: seq, source: source)
        }

        let totalSteps = steps ?? (epochs.map { $0 * training.batchesPerEpoch } ?? 2000)
        var options = CharTrainer.Options()
        options.batch = batch
        options.steps = seq
        options.optimizer = optimizer
        options.clip = clip
        switch schedule {
        case "cosine": options.schedule = LearningRateSchedule(base: lr, decay: .cosine(totalSteps: max(1, totalSteps - warmup), minimum: 0), warmupSteps: warmup)
        case "constant": options.schedule = LearningRateSchedule(base: lr, warmupSteps: warmup)
        default:
            let every = lrDecayEvery ?? training.batchesPerEpoch
            options.schedule = LearningRateSchedule(base: lr, decay: lrDecay < 1 ? .step(every: every, gamma: lrDecay) : .constant, warmupSteps: warmup)
        }
        let trainer = CharTrainer(model: model, options: options, training: training, validation: validation)
        var trainCurve: [(Int, Float)] = [], valCurve: [(Int, Float)] = []
        if resume {
            let m = try reporting { try trainer.restoreState(from: statePath) }
            trainCurve = decodeCurve(m["train_curve"])
            valCurve = decodeCurve(m["val_curve"])
            printError("resuming \(out) at step \(trainer.step) (epoch \(trainer.batches.epoch + 1))")
        }

        let c = model.configuration
        printError("corpus: \(source), \(text.count) characters, vocabulary \(model.vocabulary.count); train \(trainCount), validation \(ids.count - trainCount)")
        printError("model: Embedding(\(c.vocabularySize),\(c.embedding)) -> \(c.cell.rawValue.uppercased())(\(c.embedding)->\(c.hidden), layers=\(c.layers)) -> Linear(\(c.hidden),\(c.vocabularySize)); \(model.parameterCount) parameters")
        printError("training: \(totalSteps) steps of \(batch)x\(seq) characters, \(training.batchesPerEpoch) steps per epoch, \(optimizer.rawValue) lr \(lr), clip \(clip), \(threads) threads")

        func checkpoint() throws {
            let summary = ["steps": String(trainer.step), "train_loss": trainCurve.last.map { String($0.1) } ?? "",
                           "val_loss": valCurve.last.map { String($0.1) } ?? "", "corpus": source, "optimizer": optimizer.rawValue, "lr": String(lr)]
            try reporting {
                // State first: a kill between the two writes leaves a consistent state to resume from.
                try trainer.saveState(to: statePath, extra: summary.merging(["train_curve": encodeCurve(trainCurve), "val_curve": encodeCurve(valCurve)]) { $1 })
                try model.save(to: out, extra: summary)
            }
        }

        Interrupt.install()
        let progress = Progress(total: totalSteps, logEvery: max(1, min(100, totalSteps / 20)))
        let start = Date()
        var tokens = 0
        while trainer.step < totalSteps {
            let result: (loss: Float, gradientNorm: Float)
            do {
                result = try trainer.trainStep()
            } catch let e as DivergenceError {
                progress.finish()
                throw CommandError("\(e); the last checkpoint in \(out) is from before it")
            }
            tokens += batch * seq
            trainCurve.append((trainer.step, result.loss))
            let elapsed = Date().timeIntervalSince(start)
            progress.update(step: trainer.step, fields: [("epoch", String(format: "%.2f", Double(trainer.step) / Double(training.batchesPerEpoch))),
                                                         ("loss", String(format: "%.4f", result.loss))],
                            tokensPerSecond: Double(tokens) / max(elapsed, 1e-9))
            if evalEvery > 0, trainer.step % evalEvery == 0, trainer.step < totalSteps, let v = trainer.validationLoss() {
                valCurve.append((trainer.step, v))
                progress.note(String(format: "step %d  validation loss %.4f (%.3f bits/char)", trainer.step, v, v / log(2)))
            }
            if checkpointEvery > 0, trainer.step % checkpointEvery == 0 { try checkpoint() }
            if Interrupt.isRequested {
                progress.finish()
                try checkpoint()
                printError("interrupted at step \(trainer.step): saved \(out) and \(statePath); continue with the same command and --resume")
                throw ExitCode(130)
            }
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        let valLoss = trainer.validationLoss()
        if let valLoss { valCurve.append((trainer.step, valLoss)) }
        try checkpoint()
        // The mean of the last 20 steps' losses (restored with the curve on --resume).
        let recent = trainCurve.suffix(20).map(\.1)
        let trainLoss = recent.isEmpty ? Float.nan : recent.reduce(0, +) / Float(recent.count)
        print(String(format: "trained %d steps in %.1f s (%.0f tokens/s); train loss %.4f", trainer.step, seconds, Double(tokens) / seconds, trainLoss)
            + (valLoss.map { String(format: ", validation loss %.4f nats/char (%.3f bits/char)", $0, $0 / log(2)) } ?? ""))
        print("model written to \(out)")
        if let plot {
            let svg = SVGPlot(title: "Character model loss", xLabel: "step", yLabel: "cross-entropy (nats/char)",
                              series: [.init(name: "train", points: trainCurve.map { (Double($0.0), Double($0.1)) }, color: "#1f77b4"),
                                       .init(name: "validation", points: valCurve.map { (Double($0.0), Double($0.1)) }, color: "#d62728")])
            try reporting { try AtomicFile.write(svg.render(), to: plot) }
            print("loss curves written to \(plot)")
        }
        if json {
            print(jsonLine([
                "train_loss": trainLoss, "val_loss": valLoss ?? Float.nan, "val_bpc": valLoss.map { Double($0) / log(2) } ?? Double.nan,
                "steps": trainer.step, "epochs": Double(trainer.step) / Double(training.batchesPerEpoch), "seconds": seconds,
                "tokens_per_s": Double(tokens) / seconds, "model": out, "params": model.parameterCount,
            ]))
        }
    }
}

/// Loss curves as "step:loss,step:loss" in model metadata.
func encodeCurve(_ curve: [(Int, Float)]) -> String { curve.map { "\($0.0):\($0.1)" }.joined(separator: ",") }

func decodeCurve(_ text: String?) -> [(Int, Float)] {
    guard let text, !text.isEmpty else { return [] }
    return text.split(separator: ",").compactMap { item in
        let parts = item.split(separator: ":")
        guard parts.count == 2, let s = Int(parts[0]), let l = Float(parts[1]) else { return nil }
        return (s, l)
    }
}

/// Whether `path` is a safetensors file whose metadata `format` is `format`.
func isSafeTensors(_ path: String, format: String) -> Bool {
    (try? SafeTensors.read(path: path))?.metadata["format"] == format
}

/// Whether `path` starts like an SVG file.
func isSVG(_ path: String) -> Bool {
    guard let h = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? h.close() }
    let head = String(decoding: h.readData(ofLength: 256), as: UTF8.self)
    return head.contains("<svg") || head.hasPrefix("<?xml")
}
