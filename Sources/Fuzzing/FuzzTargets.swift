import Datasets
import Foundation
import LanguageModel
import SeqTensor

/// The loaders a user's file reaches, each fed arbitrary bytes: the bodies of the libFuzzer
/// targets in `Tests/Fuzz` and of the tests that replay their corpora. Errors are the expected
/// outcome for junk; only a crash, hang or runaway allocation is a failure.
public enum FuzzTargets {
    /// Bytes as a safetensors file, then, if it parses, as each kind of seqtool model.
    public static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafeTensors.decode(bytes, file: "fuzz") else { return }
        _ = try? CharLanguageModel.load(file, path: "fuzz")
        for (_, entry) in file.tensors where entry.bytes.count <= 1 << 20 {
            _ = entry.tensor
            _ = entry.integers
        }
    }

    /// Bytes as a classification CSV, with the label first, last and absent.
    public static func csv(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return }
        for column in LabeledRows.LabelColumn.allCases {
            _ = try? LabeledRows(csvText: text, source: "fuzz", labelColumn: column)
        }
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
}
