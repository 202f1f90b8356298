import Classification
import Datasets
import Forecasting
import Foundation
import Framings
import Interchange
import LanguageModel
import SeqTensor

/// The loaders a user's file reaches, each fed arbitrary bytes: the bodies of the libFuzzer
/// targets in `Tests/Fuzz` and of the tests that replay their corpora. Errors are the expected
/// outcome for junk; only a crash, hang or runaway allocation is a failure.
public enum FuzzTargets {
    /// Bytes as a safetensors file, then, if it parses, as a character model and its tensors.
    public static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz") else { return }
        _ = try? CharLanguageModel.load(file, path: "fuzz")
        for (_, entry) in file.tensors where entry.bytes.count <= 1 << 20 {
            _ = entry.tensor
            _ = entry.integers
        }
    }

    /// Bytes as a classifier file (of this format or an older one), and if one loads, a
    /// prediction of a short series.
    public static func classifier(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz"),
            let model = try? Classifier.load(file, path: "fuzz")
        else { return }
        let length = model.length ?? 4
        guard model.channels * length <= 1 << 16 else { return }
        let series = LabeledSeries(
            channels: model.channels, values: [[Float](repeating: 0.5, count: model.channels * length)], labels: nil)
        _ = model.probabilities(series)
    }

    /// Bytes as an ONNX file for `seqtool import` (with a vocabulary for files without one), and
    /// if one imports, the model it claims to be loaded from the result.
    public static func onnx(_ bytes: [UInt8]) {
        let vocabulary = CharVocabulary(characters: Array("abcdefghijklmnopqrstuvwxyz \n".unicodeScalars))
        guard let imported = try? ONNXImport.decode(bytes, path: "fuzz", vocabulary: vocabulary) else { return }
        switch imported.kind {
        case .charModel: _ = try? CharLanguageModel.load(imported.file, path: "fuzz")
        case .classifier: _ = try? Classifier.load(imported.file, path: "fuzz")
        }
    }

    /// Bytes as a curve generator's file, and if one loads, a few drawn values.
    public static func generator(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz"),
            let model = try? SequenceGenerator.load(file, path: "fuzz")
        else { return }
        _ = model.generate(classIndex: 0, length: 3)
    }

    /// Bytes as an encoder-decoder's file, and if one loads, a short translation.
    public static func seq2seq(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz"), let model = try? Seq2Seq.load(file, path: "fuzz")
        else { return }
        _ = model.greedy([[2]], maxLength: 3)
    }

    /// Bytes as CSV series, with the label first, last and absent, and as rows with class numbers.
    public static func csv(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        for column in LabelColumn.allCases {
            guard let series = try? LabeledSeries(csvText: text, source: "fuzz", labelColumn: column) else { continue }
            _ = try? LabeledRows(series, source: "fuzz")
        }
    }

    /// Bytes as a `.ts` file of the UCR/UEA archives.
    public static func ts(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8),
            let series = try? LabeledSeries(tsText: text, source: "fuzz")
        else { return }
        _ = series.labels.map(LabeledSeries.classNames)
    }

    /// Bytes as corpus text: UTF-8 decoding, vocabulary, encoding and stream batching.
    public static func corpus(_ bytes: [UInt8]) {
        guard let corpus = try? CorpusReader.read(bytes: bytes, source: "fuzz") else { return }
        let vocabulary = corpus.vocabulary
        if let streams = try? StreamBatches(
            tokens: corpus.tokens, batch: 2, steps: 3, source: "fuzz", evaluationOnly: true)
        {
            for _ in streams.evaluationChunks() {}
        }
        _ = CharVocabulary(json: vocabulary.json)
    }

    /// Bytes as a prepared corpus file (`seqtool prepare`), through a temporary file: the reader maps it.
    public static func tokens(_ bytes: [UInt8]) {
        let path = NSTemporaryDirectory() + "/seqtool-fuzz-\(getpid()).tokens"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let corpus = try? PreparedCorpus.read(path: path) else { return }
        _ = corpus.tokens.ids
    }

    /// Bytes as a sequence-to-sequence pairs file.
    public static func pairs(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        _ = try? StringPairs(tsvText: text, source: "fuzz")
    }

    /// Bytes as a `.tsf` file of the Monash archive, and if it parses, its filled series and
    /// the time stamps after their ends.
    public static func tsf(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8),
            let set = try? TimeSeriesSet(tsfText: text, source: "fuzz")
        else { return }
        visit(set)
    }

    /// Bytes as CSV series with a time column, in the long format, as rows, and as the reader
    /// decides.
    public static func timeCSV(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        for layout in SeriesLayout.allCases {
            guard let set = try? TimeSeriesSet(csvText: text, source: "fuzz", layout: layout) else { continue }
            visit(set)
        }
    }

    /// What a command does with a set it has read: fill it, date the steps after each series.
    static func visit(_ set: TimeSeriesSet) {
        guard let filled = try? set.fillingMissing() else { return }
        for k in filled.series.indices.prefix(100) {
            _ = filled.time(series: k, step: filled.series[k].values.count).description
        }
        _ = set.frequency?.seasonalPeriod
    }

    /// Bytes as a forecaster's file, and if one loads, a forecast of a short series.
    public static func forecaster(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz"),
            let model = try? GlobalForecaster.load(file, path: "fuzz")
        else { return }
        _ = model.forecast([[1, 2, 4, 3]], phases: [0])
    }
}
