import ArgumentParser
import Datasets
import Feedforward
import Foundation
import LanguageModel
import Recurrent
import SeqTensor
import Training

/// `seqtool bench`: throughput and memory of the workloads `../shared/bench` (and `scripts/`) measure in PyTorch,
/// timed the same way so the two can run side by side.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark training, sampling and GEMM throughput (release build).",
        subcommands: [CharLMBench.self, LayerBench.self, GemmBench.self, ConvBench.self, AllReduceBench.self]
    )
}

/// Peak resident set size of this process so far, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The character-model benchmark of `../shared/bench/torch_charlm.py`: Embedding(V, E) -> cell
/// (E -> H, L layers) -> Linear(H, V), cross-entropy at every step, Adam, clip by norm, truncated
/// BPTT over B streams of the first 90% of the corpus with the state carried between batches.
/// Each whole step is timed after `--warmup` steps; tokens/s = B*T / median step time. Then the
/// validation loss on the last 10%, the forward-only scoring rate of the trained model (the
/// faster of two passes over the validation streams), sampling at batch 1, temperature 1, and
/// the FMA peak of the same threads (`FMAPeak`) that the rates are a share of.
struct CharLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charlm", abstract: "Train a character model and time every step.")

    @Option(help: "The cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units per layer.") var hidden = 256
    @Option(help: "Recurrent layers.") var layers = 2
    @Option(help: "Embedding size.") var embed = 64
    @Option(help: "Characters per stream per step.") var seq = 64
    @Option(help: "Streams per step.") var batch = 32
    @Option(help: "Training steps.") var steps = 300
    @Option(help: "Untimed steps at the start.") var warmup = 20
    @Option(help: "Learning rate (Adam).") var lr: Float = 2e-3
    @Option(help: "Clip the global gradient norm to this.") var clip: Float = 5
    @OptionGroup var compute: ThreadOptions
    // 0, as ../shared/bench/torch_charlm.py seeds by default (the other commands' default is 1).
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(name: .customLong("sample-len"), help: "Characters sampled after training.") var sampleLength = 2000
    @Option(help: "Text to train on (default: the built-in corpus).") var corpus: String?
    @OptionGroup var output: JSONOptions

    func validate() throws {
        for (v, flag) in [
            (hidden, "--hidden"), (layers, "--layers"), (embed, "--embed"), (seq, "--seq"), (batch, "--batch"),
        ] {
            try require(v > 0, flag, "must be positive")
        }
        try require(steps > 0, "--steps", "must be positive")
        try require(warmup >= 0 && warmup < steps, "--warmup", "must be in [0, --steps)")
        try require(sampleLength >= 0, "--sample-len", "must not be negative")
    }

    func run() throws {
        compute.apply()
        let text = try reporting {
            try corpus.map { try Corpus.load(path: $0) }
                ?? CorpusReader.read(
                    bytes: Array(SyntheticCorpus.generate(characters: 1_100_000).utf8), source: "built-in corpus")
        }
        let (vocabulary, ids) = (text.vocabulary, text.tokens)
        let (training, validation, _) = try reporting {
            try StreamBatches.split(
                ids, validationFraction: 0.1, batch: batch, steps: seq, source: corpus ?? "built-in corpus")
        }
        let model = CharLanguageModel(
            .init(cell: cell, vocabularySize: vocabulary.count, embedding: embed, hidden: hidden, layers: layers),
            vocabulary: vocabulary, random: RandomSource(seed: seed))
        var options = CharTrainer.Options()
        options.batch = batch
        options.steps = seq
        let trainer = CharTrainer(model: model, options: options, training: training, validation: validation)
        var trainingOptions = CharTrainer.defaultOptions
        (trainingOptions.schedule, trainingOptions.clip, trainingOptions.steps) = (
            LearningRateSchedule(base: lr), clip, steps
        )
        (trainingOptions.evaluateEvery, trainingOptions.checkpointEvery) = (0, 0)
        let session = TrainingSession(task: trainer, options: trainingOptions)
        printError(
            "bench charlm: \(cell.name) \(layers)x\(hidden), E=\(embed), V=\(vocabulary.count), T=\(seq), "
                + "B=\(batch), \(steps) steps, "
                + "\(compute.threads) threads, \(InstructionSet.current.rawValue), \(model.parameterCount) params")

        // Each whole step is timed from the end of the one before (the first from the start).
        var stepTimes: [Double] = [], losses: [Float] = []
        var last = DispatchTime.now().uptimeNanoseconds
        session.onEvent = { event in
            guard case .step(let s, let loss, _, _) = event else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            let dt = Double(now - last) / 1e9
            losses.append(loss)
            if s > warmup { stepTimes.append(dt) }
            if s % 50 == 0 || s == 1 {
                printError(
                    String(
                        format: "step %5d  loss %.4f  step %7.1f ms  %8.0f tok/s", s, loss, dt * 1e3,
                        Double(batch * seq) / dt))
            }
            last = DispatchTime.now().uptimeNanoseconds
        }
        _ = try reporting { try session.run() }
        let sorted = stepTimes.sorted()
        let median = sorted[sorted.count / 2]
        let tokensPerSecond = Double(batch * seq) / median
        let recent = losses.suffix(20)
        let finalLoss = recent.reduce(0, +) / Float(recent.count)
        let valLoss = session.lastEvaluation?.scores["val_loss"].map { Float($0) }
        // Forward-only scoring of the same model: the validation streams (the training ones when
        // there are none), chunk by chunk as validation runs them; the faster of two passes.
        var forwardTokensPerSecond = 0.0
        for _ in 0..<2 {
            let f0 = DispatchTime.now().uptimeNanoseconds
            let scored = model.lossSum(over: validation ?? training).count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - f0) / 1e9
            forwardTokensPerSecond = max(forwardTokensPerSecond, Double(scored) / seconds)
        }

        var generator = SeededGenerator(seed: seed + 1)
        var sampled = String.UnicodeScalarView()
        let s0 = DispatchTime.now().uptimeNanoseconds
        try reporting {
            try model.sample(prime: "", length: sampleLength, options: SamplingOptions(), generator: &generator) {
                sampled.append($0)
            }
        }
        let sampleSeconds = Double(DispatchTime.now().uptimeNanoseconds - s0) / 1e9
        let rss = peakRSSMegabytes()
        let flopsPerToken = Double(
            CharLMBench.trainingFlopsPerToken(
                cell: cell, hidden: hidden, layers: layers, embed: embed, vocabulary: vocabulary.count))
        let gflops = tokensPerSecond * flopsPerToken / 1e9
        // The ceiling for the same threads and instruction set, measured after the run.
        let peak = FMAPeak.gflops(threads: compute.threads)
        print(
            String(
                format:
                    "train: %d timed steps, median step %.1f ms -> %.0f tok/s (%.1f GFLOP/s); train loss (last 20) "
                    + "%.4f",
                stepTimes.count, median * 1e3, tokensPerSecond, gflops, finalLoss)
                + (valLoss.map { String(format: "; val loss %.4f", $0) } ?? ""))
        // A forward pass is a third of a training step's multiply-adds.
        let forwardGflops = forwardTokensPerSecond * flopsPerToken / 3 / 1e9
        print(
            String(
                format: "forward-only scoring: %.0f tok/s (%.2fx the training rate, %.1f GFLOP/s)",
                forwardTokensPerSecond, forwardTokensPerSecond / tokensPerSecond, forwardGflops))
        if let peak {
            print(
                String(
                    format: "FMA peak %.1f GFLOP/s on %d threads: the training step at %.1f%%, scoring at %.1f%%",
                    peak, compute.threads, 100 * gflops / peak, 100 * forwardGflops / peak))
        }
        print(
            String(
                format: "sampling: %d chars in %.3f s -> %.0f chars/s; peak RSS %.0f MB", sampleLength, sampleSeconds,
                Double(sampleLength) / sampleSeconds, rss))
        print("-----\n" + String(String(sampled).prefix(300)) + "\n-----")
        output.emit([
            "benchmark": "seqtool_charlm", "cell": cell.name, "hidden": hidden, "layers": layers, "embed": embed,
            "vocab": vocabulary.count, "seq": seq, "batch": batch, "steps": steps, "warmup": warmup,
            "threads": compute.threads, "isa": InstructionSet.current.rawValue, "params": model.parameterCount,
            "tokens_per_s": tokensPerSecond, "ms_per_step": median * 1e3, "final_loss": finalLoss,
            "val_loss": valLoss ?? Float.nan, "sample_chars_per_s": Double(sampleLength) / sampleSeconds,
            "peak_rss_mb": rss, "flops_per_token_train": flopsPerToken,
            "gflops_effective": gflops, "gflops": gflops, "peak_gflops": peak ?? Double.nan,
            "peak_fraction": peak.map { gflops / $0 } ?? Double.nan, "forward_tokens_per_s": forwardTokensPerSecond,
        ])
    }

    /// 3x the forward matrix FLOPs per token, counted as the PyTorch script counts them.
    static func trainingFlopsPerToken(cell: CellKind, hidden H: Int, layers: Int, embed E: Int, vocabulary V: Int)
        -> Int
    {
        // Two FLOPs per weight of every matrix: the layers' W_ih and W_hh, and the head.
        let matrices = cell.parameterShapes(inputSize: E, hiddenSize: H, numLayers: layers).filter { $0.1.count == 2 }
        return 3 * (2 * H * V + matrices.reduce(0) { $0 + 2 * $1.1.reduce(1, *) })
    }
}

/// Forward and backward time of one recurrent layer over a (T, B, I) batch (median of repeats).
struct LayerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layer", abstract: "Time forward and backward of one recurrent layer.")

    @Option(help: "The cell.") var cell: CellKind = .lstm
    @Option(help: "Hidden units.") var hidden = 256
    @Option(name: .customLong("input-size"), help: "Input features per step.") var inputSize = 256
    @Option(help: "Sequences per batch.") var batch = 32
    @Option(help: "Steps per sequence.") var seq = 64
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Timed repeats.") var repeats = 30
    @OptionGroup var output: JSONOptions

    func run() throws {
        compute.apply()
        let random = RandomSource(seed: 1)
        let layer = cell.makeLayer(inputSize: inputSize, hiddenSize: hidden, random: random)
        let x = Parameter(Tensor(uniform: [seq, batch, inputSize], low: -1, high: 1, generator: &random.generator))
        let seed = Tensor(uniform: [seq, batch, hidden], low: -1, high: 1, generator: &random.generator)
        var forward: [Double] = [], backward: [Double] = []
        for r in 0..<(repeats + 3) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let y = layer(x, state: nil).output
            let t1 = DispatchTime.now().uptimeNanoseconds
            y.backward(seed: seed)
            let t2 = DispatchTime.now().uptimeNanoseconds
            for p in layer.parameters + [x] { p.zeroGrad() }
            if r >= 3 {
                forward.append(Double(t1 - t0) / 1e6)
                backward.append(Double(t2 - t1) / 1e6)
            }
        }
        let f = forward.sorted()[forward.count / 2], b = backward.sorted()[backward.count / 2]
        let weights = cell.parameterShapes(inputSize: inputSize, hiddenSize: hidden).filter { $0.1.count == 2 }
        let flops = Double(weights.reduce(0) { $0 + 2 * $1.1.reduce(1, *) } * seq * batch)
        print(
            String(
                format: "%@ layer I=%d H=%d B=%d T=%d, %d thread(s): ", cell.name, inputSize, hidden, batch, seq,
                compute.threads)
                + String(
                    format: "forward %.2f ms (%.1f GFLOP/s), backward %.2f ms (%.1f GFLOP/s), median of %d", f,
                    flops / f / 1e6, b, 2 * flops / b / 1e6, repeats))
        output.emit(["cell": cell.name, "forward_ms": f, "backward_ms": b, "threads": compute.threads])
    }
}

/// GFLOP/s of one GEMM shape through seqtool's wrapper (median of repeats).
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "GFLOP/s of C = A B through the gemm wrapper.")

    @Option(help: "Rows of C.") var m = 1024
    @Option(help: "Columns of C.") var n = 1024
    @Option(help: "The inner dimension.") var k = 1024
    @OptionGroup var compute: ThreadOptions
    @Option(help: "Timed repeats.") var repeats = 12
    @Flag(help: "A stored transposed (as weight gradients use dY^T).") var transposeA = false
    @Flag(help: "B stored transposed (as the layers use W^T).") var transposeB = false
    @Flag(help: "Pack B once and time only the products (as the recurrent step runs).") var packed = false
    @OptionGroup var output: JSONOptions

    func run() throws {
        compute.apply()
        var g = SeededGenerator(seed: 1)
        let a = Tensor(uniform: transposeA ? [k, m] : [m, k], low: -1, high: 1, generator: &g)
        let b = Tensor(uniform: transposeB ? [n, k] : [k, n], low: -1, high: 1, generator: &g)
        var c = Tensor(zeros: [m, n])
        let cp = c.mutablePointer
        let flops = 2.0 * Double(m * n * k)
        if packed && transposeA { throw ValidationError("--packed multiplies an A stored as is; drop --transpose-a") }
        let packedB = packed ? PackedMatrix(transposed: transposeB, k: k, n: n, b.pointer) : nil
        func product() {
            if let packedB {
                packedB.multiply(m: m, a.pointer, cp)
            } else {
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a.pointer, b.pointer, cp)
            }
        }
        for _ in 0..<3 { product() }
        var rates: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            var inner = 0
            var elapsed = 0.0
            repeat {
                product()
                inner += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            } while elapsed < 0.05
            rates.append(flops * Double(inner) / elapsed / 1e9)
        }
        let median = rates.sorted()[rates.count / 2]
        let variant = (transposeA ? " (A^T)" : "") + (transposeB ? " (B^T)" : "") + (packed ? " (B packed)" : "")
        print(
            String(format: "gemm M=%d N=%d K=%d", m, n, k) + variant
                + String(
                    format: " [%@], %d thread(s): %.1f GFLOP/s (median of %d)", GemmBackend.current.rawValue,
                    compute.threads, median, repeats))
        output.emit([
            "m": m, "n": n, "k": k, "threads": compute.threads, "gflops": median,
            "backend": GemmBackend.current.rawValue,
            "packed": packed,
        ])
    }
}
