import ArgumentParser
import Classification
import Datasets
import Foundation
import Interchange
import LanguageModel
import SeqTensor

/// `seqtool import`: an ONNX recurrent model (from torch.onnx.export or seqtool export) as a
/// seqtool model file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read an ONNX recurrent model (LSTM, GRU or RNN layers) into a seqtool model file.",
        discussion: """
            Embedding -> LSTM|GRU|RNN layers -> Linear over every step becomes a character model; series -> \
            LSTM|GRU|RNN layers (stacked, bidirectional) -> Linear over the last layer's final state becomes a \
            recurrent classifier. Gate order and biases are converted from ONNX's layout to PyTorch's; a node \
            that does not fit is named in the error, and nothing is written.
              seqtool import --onnx lstm.onnx --out lstm.safetensors --vocab '["a","b","c"]'
            """)

    @Option(help: "The ONNX file (from torch.onnx.export or seqtool export).") var onnx: String
    @Option(help: "The seqtool model file to write (.safetensors).") var out: String
    @Option(
        help: ArgumentHelp(
            "Character models: the characters, a JSON array of one-character strings (index = token id); "
                + "default: the file's vocab metadata."))
    var vocab: String?
    @Option(
        name: .customLong("class-names"),
        help:
            "Classifiers: the class names, comma-separated (default: the file's class_names metadata, else 0, 1, ...).")
    var classNames: String?
    @OptionGroup var overwrite: ForceOptions

    func run() throws {
        try overwrite.check(out, flag: "--out") {
            isSafeTensors($0, format: CharLanguageModel.format) || isClassifierFile($0)
        }
        var vocabulary: CharVocabulary?
        if let vocab {
            guard let parsed = CharVocabulary(json: vocab) else {
                throw CommandError("--vocab is not a JSON array of distinct one-character strings")
            }
            vocabulary = parsed
        }
        let names = classNames.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let imported = try reporting {
            try ONNXImport.read(path: onnx, vocabulary: vocabulary, classNames: names)
        }
        if imported.kind == .charModel && classNames != nil {
            throw CommandError("--class-names applies to classifiers; \(onnx) holds a character model")
        }
        if imported.kind == .classifier && vocab != nil {
            throw CommandError("--vocab applies to character models; \(onnx) holds a classifier")
        }
        // The file must load as the model it claims to be before it is written.
        let summary: String = try reporting {
            switch imported.kind {
            case .charModel:
                let m = try CharLanguageModel.load(imported.file, path: onnx)
                let c = m.configuration
                return "\(c.cell.name), \(c.layers) layer(s) of \(c.hidden), vocabulary \(c.vocabularySize)"
            case .classifier:
                let m = try Classifier.load(imported.file, path: onnx)
                return "\(m.architecture.name) over \(m.channels) channel(s), \(m.classCount) classes"
            }
        }
        try reporting { try SafeTensors.write(imported.file, to: out) }
        print("\(out): \(imported.kind.rawValue) (\(summary)) from \(onnx)")
    }

    /// Whether `path` is a classifier file (which --out may replace).
    func isClassifierFile(_ path: String) -> Bool {
        (try? SafeTensors.read(path: path)).map { Classifier.isClassifier($0.metadata) } ?? false
    }
}
