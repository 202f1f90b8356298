import ArgumentParser
import Datasets
import Distributed
import Foundation
import LanguageModel
import Recurrent
import SeqTensor
import Training

/// `seqtool train-char`: a char-rnn style character model (many-to-many), trained with
/// truncated BPTT over parallel streams of the corpus.
struct TrainCharCommand: ParsableCommand, DataParallelCommand {
    /// Characters of the built-in corpus (`corpora/plays.txt` is this text, written by make-corpus).
    static let builtinCorpusSize = 600_000

    enum Defaults: TrainingDefaults {
        static var options: TrainingOptions { CharTrainer.defaultOptions }
    }

    static let configuration = CommandConfiguration(
        commandName: "train-char",
        abstract: "Train a character-level language model (Embedding -> LSTM|GRU|RNN -> Linear).",
        discussion: """
            Flags follow char-rnn: --hidden is -rnn_size, --layers -num_layers, --seq -seq_length, \
            --batch -batch_size. Without --corpus it trains on seqtool's built-in play-shaped text. The \
            model is written to --out (safetensors, loadable by PyTorch); the training state for --resume \
            goes beside it (<out>.state.safetensors).

            Data-parallel: `mpirun -np N seqtool train-char <flags>` (a build with the MPI trait) trains \
            on N ranks, each on --batch / N of the streams; --batch stays the whole batch, so the same \
            flags train the same model on 1 rank and on N. Rank 0 logs and writes the files.
            """
    )

    @Option(help: "Text file or folder of text files (UTF-8). Default: the built-in corpus.") var corpus: String?
    @Option(help: "Recurrent cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units per layer (char-rnn -rnn_size).") var hidden = 256
    @Option(help: "Recurrent layers (char-rnn -num_layers).") var layers = 2
    @Option(help: "Embedding size.") var embed = 64
    @Option(help: "Dropout between recurrent layers, in [0, 1).") var dropout: Float = 0
    @Option(help: "BPTT length: characters per stream per step (char-rnn -seq_length).")
    var seq = CharTrainer.Options().steps
    @Option(help: "Parallel streams per step (char-rnn -batch_size).") var batch = CharTrainer.Options().batch
    @OptionGroup var budget: BudgetFlags
    @OptionGroup var optimization: OptimizerFlags<Defaults>
    @OptionGroup var scheduling: ScheduleFlags<Defaults>
    @Option(name: .customLong("val-split"), help: "Fraction of the corpus (its end) held out for validation.")
    var valSplit = 0.1
    @Option(name: .customLong("val-frac"), help: .hidden) var valFrac: Double?
    @Option(
        name: .customLong("val-max"),
        help: "Evaluate on at most this many validation characters, the first of the split (0: all of it).")
    var valMax = 250_000
    @Option(name: .customLong("eval-every"), help: "Validation loss every N steps (0: only at the end).")
    var evalEvery = Defaults.options.evaluateEvery
    @OptionGroup var checkpoints: CheckpointFlags<Defaults>
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Model file to write.") var out = "charlm.safetensors"
    @OptionGroup var output: JSONOptions
    @Option(help: "Write an SVG of the training and validation loss curves.") var plot: String?
    @OptionGroup var overwrite: ForceOptions

    /// `--val-split`, or its older spelling `--val-frac`.
    var validationSplit: Double { valFrac ?? valSplit }

    func validate() throws {
        for (value, flag) in [
            (hidden, "--hidden"), (layers, "--layers"), (embed, "--embed"), (seq, "--seq"), (batch, "--batch"),
        ] {
            try require(value > 0, flag, "must be positive")
        }
        try require(dropout >= 0 && dropout < 1, "--dropout", "must be in [0, 1)")
        try require(validationSplit >= 0 && validationSplit < 1, "--val-split", "must be in [0, 1)")
        try require(valMax >= 0, "--val-max", "must not be negative")
        try require(evalEvery >= 0, "--eval-every", "must not be negative")
        try require(
            batch % World.size == 0, "--batch",
            "\(batch) is not a multiple of the \(World.size) ranks (each rank takes an equal share of the streams)")
    }

    func run() throws {
        compute.apply()
        if valFrac != nil { noteOlderSpelling("--val-frac", "--val-split") }
        let group = try reporting { try World.group() }
        let resume = checkpoints.resume
        try checkOverwrite(out, force: overwrite.force || resume, flag: "--out") {
            isSafeTensors($0, format: CharLanguageModel.format)
        }
        try overwrite.check(plot, flag: "--plot", isExpectedKind: isSVG)

        // Data: the whole text fixes the vocabulary; the first 1 - valFrac trains, the rest validates.
        let statePath = CharTrainer.statePath(forModel: out)
        let state = try resume ? readState(statePath, group) : nil
        let resumed = try state.map { try resumedModel($0) }
        let (corpus, source) = try readCorpus(vocabulary: resumed?.vocabulary)
        let model = resumed ?? newModel(corpus.vocabulary)
        let tokens = corpus.tokens
        try checkRanksAgree(group, data: "the corpus (\(source))") { hash in
            for character in model.vocabulary.characters { hash.add(word: character.value) }
            for i in 0..<tokens.count { hash.add(word: UInt32(tokens[i])) }
        }
        let (training, validationStreams, trainCount) = try reporting {
            try StreamBatches.split(
                tokens, validationFraction: validationSplit, validationLimit: valMax > 0 ? valMax : nil,
                batch: batch, steps: seq, source: source)
        }
        var taskOptions = CharTrainer.Options()
        (taskOptions.batch, taskOptions.steps) = (batch, seq)
        let task = CharTrainer(
            model: model, options: taskOptions, training: training, validation: validationStreams, group: group)
        let session = TrainingSession(
            task: task, options: trainingOptions(epochSteps: training.batchesPerEpoch), group: group)
        session.checkpointPath = out
        session.checkpointMetadata = ["corpus": source]
        if let state {
            try reporting { try session.restore(from: state) }
            printError(
                "resuming \(out) at step \(session.step) (epoch \(task.batches.epoch + 1))"
                    + (state.metadata["ranks"].map { $0 == String(group.size) ? "" : ", saved on \($0) ranks" } ?? ""))
        }

        let c = model.configuration
        printError(
            "corpus: \(source), \(tokens.count) characters, vocabulary \(model.vocabulary.count); "
                + "train \(trainCount), validation \(tokens.count - trainCount)"
                + (validationStreams.map {
                    $0.tokens.count < tokens.count - trainCount ? " (evaluated on \($0.tokens.count))" : ""
                } ?? ""))
        printError(
            "model: Embedding(\(c.vocabularySize),\(c.embedding)) -> \(c.cell.name.uppercased())"
                + "(\(c.embedding)->\(c.hidden), layers=\(c.layers)) -> Linear(\(c.hidden),\(c.vocabularySize)); "
                + "\(model.parameterCount) parameters")
        let totalSteps = session.options.steps
        printError(
            "training: \(totalSteps) steps of \(batch)x\(seq) characters, \(training.batchesPerEpoch) steps per "
                + "epoch, \(optimization.optimizer.rawValue) lr \(optimization.lr), clip \(optimization.clip), "
                + "\(compute.threads) threads"
                + (group.size > 1 ? " on each of \(group.size) ranks (\(batch / group.size) streams each)" : ""))

        let stepsBefore = session.step
        let progress = TrainingProgress(
            totalSteps: totalSteps, logEvery: max(1, min(100, totalSteps / 20)), tokensPerStep: batch * seq
        ) { evaluation in
            guard evaluation.step < totalSteps, let v = evaluation.scores["val_loss"] else { return nil }
            return String(format: "step %d  validation loss %.4f (%.3f bits/char)", evaluation.step, v, v / log(2))
        }
        let (_, seconds) = try runTraining(session, progress: progress, what: "")
        try reporting { try session.checkpoint() }
        let summary = report(session, task, seconds: seconds, tokens: (session.step - stepsBefore) * batch * seq)
        if group.isMain { try writePlot(session.curves) }
        output.emit(summary)
    }

    /// The training options of the flags, for a run whose epochs are `epochSteps` steps.
    func trainingOptions(epochSteps: Int) -> TrainingOptions {
        var options = CharTrainer.defaultOptions
        optimization.apply(to: &options)
        options.steps = budget.totalSteps(epochSteps: epochSteps, default: options.steps)
        options.schedule = scheduling.schedule(
            base: optimization.lr, totalSteps: options.steps, epochSteps: epochSteps)
        (options.evaluateEvery, options.checkpointEvery) = (evalEvery, checkpoints.checkpointEvery)
        return options
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
    func readState(_ path: String, _ group: any ProcessGroup) throws -> TrainingCheckpoint {
        let bytes = try reporting {
            try group.broadcast(
                readOnRankZero: {
                    guard FileManager.default.fileExists(atPath: path) else {
                        throw CommandError("--resume: no training state at \(path)")
                    }
                    return try SafeTensors.readBytes(path: path)
                }, "the training state \(path)")
        }
        return TrainingCheckpoint(try reporting { try SafeTensors.decode(bytes, file: path) }, path: path)
    }

    /// The model of the run saved at `--out`: its state file holds the weights too, consistent
    /// with the optimizer state in it.
    func resumedModel(_ state: TrainingCheckpoint) throws -> CharLanguageModel {
        let file = SafeTensors.File(
            tensors: state.tensors.mapValues { SafeTensors.Entry($0) }, metadata: state.metadata)
        let model = try reporting { try CharLanguageModel.load(file, path: state.path) }
        // The run continues with the saved model: flags that ask for another one are a mistake
        // (another model's state at --out, or the wrong command line).
        let c = model.configuration
        for (flag, saved, asked) in [
            ("--cell", c.cell.name, cell.name), ("--hidden", String(c.hidden), String(hidden)),
            ("--layers", String(c.layers), String(layers)), ("--embed", String(c.embedding), String(embed)),
            ("--dropout", String(c.dropout), String(dropout)),
        ] where saved != asked {
            throw CommandError(
                "--resume: \(state.path) holds a model with \(flag) \(saved), this command asks for \(flag) \(asked) "
                    + "(resume with the flags of the run that wrote it)")
        }
        return model
    }

    /// Prints the outcome; returns the `--json` summary.
    func report(_ session: TrainingSession, _ task: CharTrainer, seconds: Double, tokens: Int) -> [String: Any] {
        // The mean of the last 20 steps' losses (restored with the curve on --resume).
        let trainLoss = session.curves.recentTrainLoss()
        let valLoss = session.lastEvaluation?.scores["val_loss"].map { Float($0) }
        let validation = valLoss.map {
            String(format: ", validation loss %.4f nats/char (%.3f bits/char)", $0, $0 / log(2))
        }
        print(
            String(
                format: "trained %d steps in %.1f s (%.0f tokens/s); train loss %.4f", session.step, seconds,
                Double(tokens) / seconds, trainLoss) + (validation ?? ""))
        print("model written to \(out)")
        var summary: [String: Any] = [:]
        let averaging = session.averaging
        if averaging.allReduceCount > 0 {
            // Waiting for the slowest rank counts too: this is what data parallelism costs the step.
            let perStep = averaging.allReduceSeconds / Double(averaging.allReduceCount)
            print(
                String(
                    format: "ranks: %d; gradient allreduce %.2f ms per step (%.1f%% of the time)",
                    session.group.size, perStep * 1e3, 100 * averaging.allReduceSeconds / seconds))
            summary["ranks"] = session.group.size
            summary["allreduce_ms_per_step"] = perStep * 1e3
        }
        return summary.merging([
            "train_loss": trainLoss, "val_loss": valLoss ?? Float.nan,
            "val_bpc": valLoss.map { Double($0) / log(2) } ?? Double.nan, "steps": session.step,
            "epochs": Double(session.step) / Double(task.batches.batchesPerEpoch), "seconds": seconds,
            "tokens_per_s": Double(tokens) / seconds, "model": out, "params": task.model.parameterCount,
        ]) { $1 }
    }

    func writePlot(_ curves: LossCurves) throws {
        guard let plot else { return }
        let svg = SVGPlot(
            title: "Character model loss", xLabel: "step", yLabel: "cross-entropy (nats/char)",
            series: [
                .init(name: "train", points: curves.train.map { (Double($0.step), Double($0.loss)) }, color: "#1f77b4"),
                .init(
                    name: "validation", points: curves.validation.map { (Double($0.step), Double($0.loss)) },
                    color: "#d62728", style: .lineAndMarkers),
            ], xScale: .integer)
        try reporting { try AtomicFile.write(svg.render(), to: plot) }
        print("loss curves written to \(plot)")
    }
}
