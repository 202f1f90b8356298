import ArgumentParser
import Classification
import Datasets
import Forecasting
import Foundation
import Framings
import Interchange
import LanguageModel
import SeqTensor

/// `seqtool export`: a model file as an ONNX graph, for ONNX Runtime and the like.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as an ONNX file (opset 17) for ONNX Runtime and other runtimes.",
        discussion: """
            A character model becomes its step graph (tokens, h[, c] -> logits, h_out[, c_out]) or, with \
            --graph sequence, the graph of a whole sequence; a classifier (recurrent, fcn, resnet, lstm-fcn, \
            mlp, cnn1d, cnn2d; not minirocket) becomes x (raw values, [batch, steps, channels]) and lengths -> \
            logits; a forecaster history (the last window values), lengths[, phase] -> forecast ([batch, \
            quantiles, horizon]); an encoder-decoder its encoder (--graph encoder) and its decoder step \
            (--graph decoder). --reference writes inputs and seqtool's outputs for them as JSON, so another \
            runtime can be checked against seqtool (scripts/check-onnx.sh).
              seqtool export --model shakespeare.safetensors --format onnx --out shakespeare.onnx
              seqtool export --model gun.safetensors --format onnx --out gun.onnx --reference gun.json \\
                --check-input GunPoint_TEST.ts
            """)

    /// The formats `export` writes.
    enum Format: String, ExpressibleByArgument, CaseIterable { case onnx }

    @Option(help: "Model file (.safetensors): a character model, a classifier, a forecaster or an encoder-decoder.")
    var model: String
    @Option(help: "Output format.") var format: Format = .onnx
    @Option(help: "The ONNX file to write.") var out: String
    @Option(
        help: ArgumentHelp(
            "Character models: step (default) or sequence; seq2seq models: encoder or decoder (one step).",
            valueName: "graph"))
    var graph: String?
    @Flag(
        inversion: .prefixedNo,
        help: "Classifiers of any length: the graph takes lengths (int64 [batch]) for series of unequal lengths.")
    var lengths = true
    @Option(help: "Also write inputs and seqtool's outputs for them to this JSON file.") var reference: String?
    @Option(
        name: .customLong("check-input"),
        help: ArgumentHelp(
            "With --reference: inputs from this file (text for a character model; .ts or CSV series, labels "
                + "first, for a classifier; TSV pairs for an encoder-decoder) instead of random ones."))
    var checkInput: String?
    @Option(name: .customLong("check-batch"), help: "With --reference: sequences or series in the batch.")
    var checkBatch = 8
    @OptionGroup var seeding: SeedOptions
    @OptionGroup var overwrite: ForceOptions

    /// Steps of the sequence graph's reference run.
    static let referenceSteps = 32

    func validate() throws {
        try require(checkBatch >= 1 && checkBatch <= 4096, "--check-batch", "must be in 1...4096")
        try require(checkInput == nil || reference != nil, "--check-input", "needs --reference")
        try require(out != reference, "--reference", "must differ from --out")
    }

    func run() throws {
        try overwrite.check(out, flag: "--out") { $0.lowercased().hasSuffix(".onnx") }
        try overwrite.check(reference, flag: "--reference") { $0.lowercased().hasSuffix(".json") }
        let file = try reporting { try SafeTensors.read(path: model) }
        let format = file.metadata["format"] ?? ""
        let onnx: ONNX.Model, run: ReferenceRun?
        let classifier = Classifier.isClassifier(file.metadata) || ClassifierEnsemble.isEnsemble(file.metadata)
        if !lengths && !classifier {
            throw CommandError(
                "--no-lengths applies to classifiers; \(model) is \(format.isEmpty ? "another file" : format)")
        }
        if format == CharLanguageModel.format {
            let loaded = try reporting { try CharLanguageModel.load(file, path: model) }
            guard let kind = CharModelGraph(rawValue: graph ?? "step") else {
                throw CommandError("--graph \(graph ?? "") is not a character model's graph (step or sequence)")
            }
            onnx = try reporting { try loaded.onnxModel(kind) }
            run = try reference.map { _ in try charReference(loaded, kind) }
        } else if Classifier.isClassifier(file.metadata) {
            if graph != nil { throw CommandError("--graph applies to character models; \(model) is a classifier") }
            let loaded = try reporting { try Classifier.load(file, path: model) }
            onnx = try reporting { try loaded.onnxModel(lengths: lengths) }
            run = try reference.map { _ in
                loaded.referenceRun(try referenceSeries(loaded, length: loaded.length), lengths: lengths)
            }
        } else if ClassifierEnsemble.isEnsemble(file.metadata) {
            if graph != nil { throw CommandError("--graph applies to character models; \(model) is an ensemble") }
            let loaded = try reporting { try ClassifierEnsemble.load(file, path: model) }
            onnx = try reporting { try loaded.onnxModel(lengths: lengths) }
            let length = loaded.members.lazy.compactMap(\.length).first
            run = try reference.map { _ in
                loaded.referenceRun(try referenceSeries(loaded.members[0], length: length), lengths: lengths)
            }
        } else if format == GlobalForecaster.format {
            if graph != nil { throw CommandError("--graph applies to character models; \(model) is a forecaster") }
            if checkInput != nil {
                throw CommandError(
                    "--check-input applies to character models, classifiers and encoder-decoders; \(model) is a "
                        + "forecaster")
            }
            let loaded = try reporting { try GlobalForecaster.load(file, path: model) }
            onnx = try reporting { try loaded.onnxModel() }
            run = reference.map { _ in forecasterReference(loaded) }
        } else if format == Seq2Seq.format {
            guard let kind = graph.flatMap(Seq2SeqGraph.init(rawValue:)) else {
                throw CommandError(
                    "--graph must be encoder or decoder for an encoder-decoder (export each: a caller encodes, then "
                        + "decodes step by step)")
            }
            let loaded = try reporting { try Seq2Seq.load(file, path: model) }
            onnx = try reporting { try loaded.onnxModel(kind) }
            run = try reference.map { _ in try seq2seqReference(loaded, kind) }
        } else {
            let kind = format.isEmpty ? "a file without a seqtool format" : "a \(format) file"
            throw CommandError(
                "\(model) is \(kind): seqtool exports character models (\(CharLanguageModel.format)), classifiers "
                    + "(\(Classifier.format)), their ensembles (\(ClassifierEnsemble.format)), forecasters "
                    + "(\(GlobalForecaster.format)) and encoder-decoders (\(Seq2Seq.format))")
        }
        var stamped = onnx
        stamped.producerVersion = Seqtool.version
        let bytes = stamped.serialized()
        guard bytes.count < Int(Int32.max) else {
            throw CommandError(
                "\(model): the ONNX file would be \(bytes.count >> 20) MB, past protobuf's 2 GB limit "
                    + "(seqtool does not write ONNX's external data)")
        }
        try reporting { try AtomicFile.write(Data(bytes), to: out) }
        print(
            "\(out): ONNX opset \(ONNX.opsetVersion), inputs " + onnx.graph.inputs.map(\.name).joined(separator: ", ")
                + ", outputs " + onnx.graph.outputs.map(\.name).joined(separator: ", "))
        if let reference, let run {
            try reporting { try AtomicFile.write(run.json, to: reference) }
            print("\(reference): inputs and seqtool's outputs")
        }
    }

    /// The character model's reference: the first characters of --check-input (a stretch of the
    /// text per sequence), or random tokens.
    func charReference(_ loaded: CharLanguageModel, _ kind: CharModelGraph) throws -> ReferenceRun {
        let count = checkBatch * (kind == .step ? 1 : Self.referenceSteps)
        var generator = SeededGenerator(seed: seeding.seed)
        var tokens: [Int]
        if let checkInput {
            let text = try reporting { try readUserText(checkInput, kind: "text") }
            tokens = try reporting {
                try loaded.vocabulary.encode(Array(text.unicodeScalars.prefix(count)), source: checkInput).map(Int.init)
            }
            guard tokens.count == count else {
                throw CommandError(
                    "--check-input \(checkInput) has \(tokens.count) characters; the check needs \(count)")
            }
            // Sequence b reads the b-th stretch of the text; the graph takes them time-major.
            let (T, B) = (count / checkBatch, checkBatch)
            tokens = (0..<count).map { i in tokens[(i % B) * T + i / B] }
        } else {
            tokens = (0..<count).map { _ in Int(generator.next() % UInt64(loaded.vocabulary.count)) }
        }
        return loaded.referenceRun(kind, tokens: tokens, batch: checkBatch, generator: &generator)
    }

    /// The series of a classifier's reference: the first of --check-input, or random series about
    /// the model's channel means (of unequal lengths where the graph takes lengths).
    func referenceSeries(_ loaded: Classifier, length: Int?) throws -> LabeledSeries {
        let withLengths = lengths && length == nil
        let data: LabeledSeries
        if let checkInput {
            let all = try reporting { try LabeledSeries.read(path: checkInput, labelColumn: .first) }
            data = all.subset(Array(0..<min(all.count, checkBatch)))
            if data.channels != loaded.channels {
                throw CommandError(
                    "--check-input \(checkInput): series have \(data.channels) channel(s), the model takes "
                        + "\(loaded.channels)"
                )
            }
            if let length, let other = data.lengths.first(where: { $0 != length }) {
                throw CommandError(
                    "--check-input \(checkInput): a series has \(other) steps, the model takes \(length)")
            }
            if !withLengths && !data.isEqualLength {
                throw CommandError(
                    "--check-input \(checkInput): series of unequal lengths need the graph's lengths "
                        + "(drop --no-lengths)"
                )
            }
        } else {
            var generator = SeededGenerator(seed: seeding.seed)
            let T = length ?? 24
            let values = (0..<checkBatch).map { b -> [Float] in
                let steps = withLengths ? T - (b * 7) % (T / 2) : T
                return (0..<(steps * loaded.channels)).map { i in
                    let c = i % loaded.channels
                    return loaded.channelMean[c] + loaded.channelStd[c] * generator.nextNormal()
                }
            }
            data = LabeledSeries(channels: loaded.channels, values: values, labels: nil)
        }
        return data
    }

    /// The forecaster's reference: random walks with a seasonal swing, of lengths from half the
    /// window to all of it, at random phases.
    func forecasterReference(_ loaded: GlobalForecaster) -> ReferenceRun {
        var generator = SeededGenerator(seed: seeding.seed)
        let c = loaded.configuration
        var histories: [[Float]] = [], phases: [Int] = []
        for b in 0..<checkBatch {
            let count = max(1, c.window - (b * 5) % max(c.window / 2, 1))
            var level = 10 * generator.nextFloat(), series: [Float] = []
            let phase = Int(generator.next() % UInt64(c.season))
            for t in 0..<count {
                level += generator.nextNormal()
                let angle = 2 * Float.pi * Float((phase + t) % c.season) / Float(c.season)
                series.append(level + 3 * sin(angle))
            }
            histories.append(series)
            phases.append(phase)
        }
        return loaded.referenceRun(histories: histories, phases: phases)
    }

    /// The encoder-decoder's reference: the inputs of --check-input's pairs (TSV), or random
    /// sources of unequal lengths.
    func seq2seqReference(_ loaded: Seq2Seq, _ kind: Seq2SeqGraph) throws -> ReferenceRun {
        var generator = SeededGenerator(seed: seeding.seed)
        var sources: [[Int]]
        if let checkInput {
            let pairs = try reporting { try StringPairs(tsv: checkInput) }
            sources = try reporting {
                try pairs.pairs.prefix(checkBatch).map { try loaded.encode($0.input, source: checkInput) }
            }
            guard !sources.isEmpty, sources.allSatisfy({ !$0.isEmpty }) else {
                throw CommandError("--check-input \(checkInput) has no pairs with a non-empty input")
            }
        } else {
            let V = UInt64(loaded.vocabularySize - 2)
            sources = (0..<checkBatch).map { b in
                (0..<(12 - (b * 5) % 6)).map { _ in 2 + Int(generator.next() % V) }
            }
        }
        return loaded.referenceRun(kind, sources: sources, generator: &generator)
    }
}
