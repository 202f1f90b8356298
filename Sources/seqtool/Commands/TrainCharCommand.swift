import ArgumentParser
import Datasets
import Distributed
import Foundation
import LanguageModel
import Recurrent
import SeqTensor

/// `seqtool train-char`: a char-rnn style character model (many-to-many), trained with
/// truncated BPTT over parallel streams of the corpus.
struct TrainCharCommand: ParsableCommand, DataParallelCommand {
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

            Data-parallel: `mpirun -np N seqtool train-char <flags>` (a build with the MPI trait) trains
            on N ranks, each on --batch / N of the streams; --batch stays the whole batch, so the
            same flags train the same model on 1 rank and on N. Rank 0 logs and writes the files.
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
    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this every --lr-decay-every steps.")
    var lrDecay: Float = 1
    @Option(name: .customLong("lr-decay-every"), help: "Steps between learning-rate decays (default: one epoch).")
    var lrDecayEvery: Int?
    @Option(help: "Schedule: step (with --lr-decay), cosine (to 0 over the run) or constant.")
    var schedule: ScheduleChoice = .step
    @Option(help: "Steps of linear learning-rate warm-up.") var warmup = 0
    @Option(help: "Optimizer.") var optimizer: OptimizerKind = .adam
    @Option(help: "Clip the global gradient norm to this (0: off).") var clip: Float = 5
    @Option(name: .customLong("val-frac"), help: "Fraction of the corpus (its end) held out for validation.")
    var valFrac: Double = 0.1
    @Option(
        name: .customLong("val-max"),
        help: "Evaluate on at most this many validation characters, the first of the split (0: all of it).")
    var valMax = 250_000
    @Option(name: .customLong("eval-every"), help: "Validation loss every N steps (0: only at the end).")
    var evalEvery = 250
    @Option(
        name: .customLong("checkpoint-every"), help: "Save model and training state every N steps (0: only at the end)."
    )
    var checkpointEvery = 500
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Model file to write.") var out = "charlm.safetensors"
    @Flag(help: "Continue the run saved at --out (model and its .state.safetensors).") var resume = false
    @OptionGroup var output: JSONOptions
    @Option(help: "Write an SVG of the training and validation loss curves.") var plot: String?
    @OptionGroup var overwrite: ForceOptions

    func validate() throws {
        for (value, flag) in [
            (hidden, "--hidden"), (layers, "--layers"), (embed, "--embed"), (seq, "--seq"), (batch, "--batch"),
        ] {
            try require(value > 0, flag, "must be positive")
        }
        try require(dropout >= 0 && dropout < 1, "--dropout", "must be in [0, 1)")
        try require(steps.map { $0 > 0 } ?? true, "--steps", "must be positive")
        try require(epochs.map { $0 > 0 } ?? true, "--epochs", "must be positive")
        try require(steps == nil || epochs == nil, "--steps", "and --epochs cannot both be given")
        try require(lr > 0 && lr.isFinite, "--lr", "must be positive")
        try require(lrDecay > 0 && lrDecay <= 1, "--lr-decay", "must be in (0, 1]")
        try require(lrDecayEvery.map { $0 > 0 } ?? true, "--lr-decay-every", "must be positive")
        try require(warmup >= 0, "--warmup", "must not be negative")
        try require(clip >= 0, "--clip", "must not be negative")
        try require(valFrac >= 0 && valFrac < 1, "--val-frac", "must be in [0, 1)")
        try require(valMax >= 0, "--val-max", "must not be negative")
        try require(evalEvery >= 0, "--eval-every", "must not be negative")
        try require(checkpointEvery >= 0, "--checkpoint-every", "must not be negative")
        try require(
            batch % World.size == 0, "--batch",
            "\(batch) is not a multiple of the \(World.size) ranks (each rank takes an equal share of the streams)")
    }

    func run() throws {
        compute.apply()
        let group = try reporting { try World.group() }
        try checkOverwrite(out, force: overwrite.force || resume, flag: "--out") {
            isSafeTensors($0, format: CharLanguageModel.format)
        }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)

        // Data: the whole text fixes the vocabulary; the first 1 - valFrac trains, the rest validates.
        let statePath = CharTrainer.statePath(forModel: out)
        let state = try resume ? readState(statePath, group) : nil
        let resumed = try state.map { try resumedModel($0, path: statePath) }
        let (corpus, source) = try readCorpus(vocabulary: resumed?.vocabulary)
        let model = resumed ?? newModel(corpus.vocabulary)
        let tokens = corpus.tokens
        try checkRanksAgree(group, data: "the corpus (\(source))") { hash in
            for character in model.vocabulary.characters { hash.add(word: character.value) }
            for i in 0..<tokens.count { hash.add(word: UInt32(tokens[i])) }
        }
        let (training, validation, trainCount) = try reporting {
            try StreamBatches.split(
                tokens, validationFraction: valFrac, validationLimit: valMax > 0 ? valMax : nil, batch: batch,
                steps: seq, source: source)
        }
        let totalSteps = steps ?? (epochs.map { $0 * training.batchesPerEpoch } ?? 2000)
        let trainer = CharTrainer(
            model: model, options: trainerOptions(totalSteps: totalSteps, epochSteps: training.batchesPerEpoch),
            training: training, validation: validation, group: group)
        var curves = LossCurves()
        if let state {
            let metadata = try reporting { try trainer.restoreState(from: state, path: statePath) }
            curves = LossCurves(metadata)
            printError(
                "resuming \(out) at step \(trainer.step) (epoch \(trainer.batches.epoch + 1))"
                    + (metadata["ranks"].map { $0 == String(group.size) ? "" : ", saved on \($0) ranks" } ?? ""))
        }

        let c = model.configuration
        printError(
            "corpus: \(source), \(tokens.count) characters, vocabulary \(model.vocabulary.count); "
                + "train \(trainCount), validation \(tokens.count - trainCount)"
                + (validation.map {
                    $0.tokens.count < tokens.count - trainCount ? " (evaluated on \($0.tokens.count))" : ""
                }
                    ?? ""))
        printError(
            "model: Embedding(\(c.vocabularySize),\(c.embedding)) -> \(c.cell.name.uppercased())"
                + "(\(c.embedding)->\(c.hidden), layers=\(c.layers)) -> Linear(\(c.hidden),\(c.vocabularySize)); "
                + "\(model.parameterCount) parameters")
        printError(
            "training: \(totalSteps) steps of \(batch)x\(seq) characters, \(training.batchesPerEpoch) steps per "
                + "epoch, \(optimizer.rawValue) lr \(lr), clip \(clip), \(compute.threads) threads"
                + (group.size > 1 ? " on each of \(group.size) ranks (\(batch / group.size) streams each)" : ""))

        let (seconds, trained) = try train(trainer, model, totalSteps: totalSteps, source: source, curves: &curves)
        let valLoss = trainer.validationLoss()
        if let valLoss { curves.validation.append((trainer.step, valLoss)) }
        try checkpoint(trainer, model, source: source, curves: curves)
        let summary = report(trainer, model, seconds: seconds, tokens: trained, valLoss: valLoss, curves: curves)
        if group.isMain { try writePlot(curves) }
        output.emit(summary)
    }

    /// The corpus (text, or prepared by `seqtool prepare`), its ids in `vocabulary` when given,
    /// and how to name it in messages.
    func readCorpus(vocabulary: CharVocabulary?) throws -> (corpus: Corpus, source: String) {
        guard let corpus else {
            let text = Array(SyntheticCorpus.generate(characters: Self.builtinCorpusSize).utf8)
            let read = try reporting {
                try CorpusReader.read(bytes: text, source: "built-in corpus", vocabulary: vocabulary)
            }
            return (read, "built-in corpus")
        }
        let progress = ByteProgress(label: "reading \(corpus)")
        defer { progress.finish() }
        return (
            try reporting { try Corpus.load(path: corpus, vocabulary: vocabulary, progress: progress.update) }, corpus
        )
    }

    func newModel(_ vocabulary: CharVocabulary) -> CharLanguageModel {
        let configuration = CharLanguageModel.Configuration(
            cell: cell, vocabularySize: vocabulary.count, embedding: embed, hidden: hidden, layers: layers,
            dropout: dropout)
        return CharLanguageModel(configuration, vocabulary: vocabulary, random: RandomSource(seed: seeding.seed))
    }

    /// The training state at `path`, read by rank 0 and sent to the others: only rank 0's
    /// machine, which wrote it, needs the file.
    func readState(_ path: String, _ group: any ProcessGroup) throws -> SafeTensors.File {
        let bytes = try reporting {
            try group.broadcast(
                readOnRankZero: {
                    guard FileManager.default.fileExists(atPath: path) else {
                        throw CommandError("--resume: no training state at \(path)")
                    }
                    return try SafeTensors.readBytes(path: path)
                }, "the training state \(path)")
        }
        return try reporting { try SafeTensors.decode(bytes, file: path) }
    }

    /// The model of the run saved at `--out`: its state file holds the weights too, consistent
    /// with the optimizer state in it.
    func resumedModel(_ state: SafeTensors.File, path statePath: String) throws -> CharLanguageModel {
        let model = try reporting { try CharLanguageModel.load(state, path: statePath) }
        // The run continues with the saved model: flags that ask for another one are a mistake
        // (another model's state at --out, or the wrong command line).
        let c = model.configuration
        for (flag, saved, asked) in [
            ("--cell", c.cell.name, cell.name), ("--hidden", String(c.hidden), String(hidden)),
            ("--layers", String(c.layers), String(layers)), ("--embed", String(c.embedding), String(embed)),
            ("--dropout", String(c.dropout), String(dropout)),
        ] where saved != asked {
            throw CommandError(
                "--resume: \(statePath) holds a model with \(flag) \(saved), this command asks for \(flag) \(asked) "
                    + "(resume with the flags of the run that wrote it)")
        }
        return model
    }

    func trainerOptions(totalSteps: Int, epochSteps: Int) -> CharTrainer.Options {
        var options = CharTrainer.Options()
        options.batch = batch
        options.steps = seq
        options.optimizer = optimizer
        options.clip = clip
        switch schedule {
        case .cosine:
            options.schedule = LearningRateSchedule(
                base: lr, decay: .cosine(totalSteps: max(1, totalSteps - warmup), minimum: 0), warmupSteps: warmup)
        case .constant:
            options.schedule = LearningRateSchedule(base: lr, warmupSteps: warmup)
        case .step:
            let decay: LearningRateSchedule.Decay =
                lrDecay < 1 ? .step(every: lrDecayEvery ?? epochSteps, gamma: lrDecay) : .constant
            options.schedule = LearningRateSchedule(base: lr, decay: decay, warmupSteps: warmup)
        }
        return options
    }

    /// Trains up to `totalSteps`, evaluating and checkpointing on the way; Ctrl-C saves a
    /// checkpoint and exits with 130. Returns the seconds and tokens of this run.
    func train(
        _ trainer: CharTrainer, _ model: CharLanguageModel, totalSteps: Int, source: String, curves: inout LossCurves
    ) throws -> (seconds: Double, tokens: Int) {
        // On several ranks Ctrl-C is mpirun's: it stops every rank; --checkpoint-every bounds the loss.
        if trainer.group.size == 1 { Interrupt.install() }
        let progress = Progress(total: totalSteps, logEvery: max(1, min(100, totalSteps / 20)))
        let start = Date()
        let epochSteps = Double(trainer.batches.batchesPerEpoch)
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
            curves.train.append((trainer.step, result.loss))
            let fields = [
                ("epoch", String(format: "%.2f", Double(trainer.step) / epochSteps)),
                ("loss", String(format: "%.4f", result.loss)),
            ]
            progress.update(
                step: trainer.step, fields: fields,
                tokensPerSecond: Double(tokens) / max(Date().timeIntervalSince(start), 1e-9))
            if evalEvery > 0, trainer.step % evalEvery == 0, trainer.step < totalSteps, let v = trainer.validationLoss()
            {
                curves.validation.append((trainer.step, v))
                progress.note(
                    String(format: "step %d  validation loss %.4f (%.3f bits/char)", trainer.step, v, v / log(2)))
            }
            if checkpointEvery > 0, trainer.step % checkpointEvery == 0 {
                try checkpoint(trainer, model, source: source, curves: curves)
            }
            if Interrupt.isRequested {
                progress.finish()
                try checkpoint(trainer, model, source: source, curves: curves)
                printError(
                    "interrupted at step \(trainer.step): saved \(out) and "
                        + "\(CharTrainer.statePath(forModel: out)); continue with the same command and --resume")
                throw ExitCode(130)
            }
        }
        progress.finish()
        return (Date().timeIntervalSince(start), tokens)
    }

    /// Writes the training state, then the model, each atomically: a kill between the two
    /// writes leaves a consistent state to resume from.
    func checkpoint(_ trainer: CharTrainer, _ model: CharLanguageModel, source: String, curves: LossCurves) throws {
        let summary = [
            "steps": String(trainer.step), "train_loss": curves.train.last.map { String($0.1) } ?? "",
            "val_loss": curves.validation.last.map { String($0.1) } ?? "", "corpus": source,
            "optimizer": optimizer.rawValue, "lr": String(lr), "ranks": String(trainer.group.size),
        ]
        try reporting {
            try trainer.saveState(
                to: CharTrainer.statePath(forModel: out), extra: summary.merging(curves.metadata) { $1 })
            if trainer.group.isMain { try model.save(to: out, extra: summary) }
        }
    }

    /// Prints the outcome; returns the `--json` summary.
    func report(
        _ trainer: CharTrainer, _ model: CharLanguageModel, seconds: Double, tokens: Int, valLoss: Float?,
        curves: LossCurves
    ) -> [String: Any] {
        // The mean of the last 20 steps' losses (restored with the curve on --resume).
        let recent = curves.train.suffix(20).map(\.1)
        let trainLoss = recent.isEmpty ? Float.nan : recent.reduce(0, +) / Float(recent.count)
        let validation = valLoss.map {
            String(format: ", validation loss %.4f nats/char (%.3f bits/char)", $0, $0 / log(2))
        }
        print(
            String(
                format: "trained %d steps in %.1f s (%.0f tokens/s); train loss %.4f", trainer.step, seconds,
                Double(tokens) / seconds, trainLoss) + (validation ?? ""))
        print("model written to \(out)")
        var summary: [String: Any] = [:]
        let averaging = trainer.averaging
        if averaging.allReduceCount > 0 {
            // Waiting for the slowest rank counts too: this is what data parallelism costs the step.
            let perStep = averaging.allReduceSeconds / Double(averaging.allReduceCount)
            print(
                String(
                    format: "ranks: %d; gradient allreduce %.2f ms per step (%.1f%% of the time)",
                    trainer.group.size, perStep * 1e3, 100 * averaging.allReduceSeconds / seconds))
            summary["ranks"] = trainer.group.size
            summary["allreduce_ms_per_step"] = perStep * 1e3
        }
        return summary.merging([
            "train_loss": trainLoss, "val_loss": valLoss ?? Float.nan,
            "val_bpc": valLoss.map { Double($0) / log(2) } ?? Double.nan, "steps": trainer.step,
            "epochs": Double(trainer.step) / Double(trainer.batches.batchesPerEpoch), "seconds": seconds,
            "tokens_per_s": Double(tokens) / seconds, "model": out, "params": model.parameterCount,
        ]) { $1 }
    }

    func writePlot(_ curves: LossCurves) throws {
        guard let plot else { return }
        let svg = SVGPlot(
            title: "Character model loss", xLabel: "step", yLabel: "cross-entropy (nats/char)",
            series: [
                .init(name: "train", points: curves.train.map { (Double($0.0), Double($0.1)) }, color: "#1f77b4"),
                .init(
                    name: "validation", points: curves.validation.map { (Double($0.0), Double($0.1)) },
                    color: "#d62728", style: .lineAndMarkers),
            ], xScale: .integer)
        try reporting { try AtomicFile.write(svg.render(), to: plot) }
        print("loss curves written to \(plot)")
    }
}

/// The training and validation loss by step, kept in the training state's metadata (as
/// "step:loss,step:loss") so that a resumed run continues its curves.
struct LossCurves {
    var train: [(Int, Float)] = []
    var validation: [(Int, Float)] = []

    init() {}

    init(_ metadata: [String: String]) {
        train = Self.decode(metadata["train_curve"])
        validation = Self.decode(metadata["val_curve"])
    }

    var metadata: [String: String] { ["train_curve": Self.encode(train), "val_curve": Self.encode(validation)] }

    static func encode(_ curve: [(Int, Float)]) -> String { curve.map { "\($0.0):\($0.1)" }.joined(separator: ",") }

    static func decode(_ text: String?) -> [(Int, Float)] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let s = Int(parts[0]), let l = Float(parts[1]) else { return nil }
            return (s, l)
        }
    }
}
