import Foundation
import SeqTensor

extension CharLanguageModel {
    /// The `format` metadata value of a character model file.
    public static let format = "seqtool.charlm.v1"

    /// Writes the model as one safetensors file (atomically), with the architecture and the
    /// vocabulary in `__metadata__`, plus `extra` entries (a training summary).
    public func save(to path: String, extra: [String: String] = [:]) throws {
        var metadata = extra
        metadata["format"] = Self.format
        metadata["cell"] = configuration.cell.rawValue
        metadata["embed"] = String(configuration.embedding)
        metadata["hidden"] = String(configuration.hidden)
        metadata["layers"] = String(configuration.layers)
        metadata["dropout"] = String(configuration.dropout)
        metadata["vocab"] = vocabulary.json
        var tensors: [String: SafeTensors.Entry] = [:]
        for (name, p) in namedParameters { tensors[name] = SafeTensors.Entry(p.value) }
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: metadata), to: path)
    }

    /// Loads a model written by `save` (or by PyTorch with the same names and metadata).
    /// Throws an error naming the file and the problem: another kind of file, a missing or
    /// misshapen tensor, a broken vocabulary.
    public static func load(path: String) throws -> (model: CharLanguageModel, metadata: [String: String]) {
        let file = try SafeTensors.read(path: path)
        return (try load(file, path: path), file.metadata)
    }

    static func load(_ file: SafeTensors.File, path: String) throws -> CharLanguageModel {
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        guard let format = m["format"] else { throw fail("has no seqtool format in its metadata (not a seqtool character model)") }
        guard format == Self.format else { throw fail("is a \(format) file, not a character model (\(Self.format))") }
        guard let cellName = m["cell"], let cell = CellKind(rawValue: cellName) else { throw fail("metadata cell \"\(m["cell"] ?? "")\" is not lstm, gru, rnn_tanh or rnn_relu") }
        func size(_ key: String) throws -> Int {
            guard let s = m[key], let v = Int(s), v > 0 else { throw fail("metadata \(key) \"\(m[key] ?? "")\" is not a positive integer") }
            return v
        }
        guard let vocabJSON = m["vocab"], let vocabulary = CharVocabulary(json: vocabJSON) else {
            throw fail("metadata vocab is not a JSON array of distinct one-character strings")
        }
        let configuration = Configuration(cell: cell, vocabularySize: vocabulary.count, embedding: try size("embed"),
                                          hidden: try size("hidden"), layers: try size("layers"), dropout: Float(m["dropout"] ?? "0") ?? 0)
        let model = CharLanguageModel(configuration, vocabulary: vocabulary, random: RandomSource(seed: 0))
        for (name, p) in model.namedParameters {
            guard let entry = file.tensors[name] else { throw fail("tensor \(name) is missing") }
            guard entry.shape == p.shape else { throw fail("tensor \(name) has shape \(entry.shape), the metadata implies \(p.shape)") }
            guard entry.dtype == .f32 || entry.dtype == .f64 else { throw fail("tensor \(name) has dtype \(entry.dtype.rawValue), expected F32") }
            let t = entry.tensor
            guard t.scalars.allSatisfy({ $0.isFinite }) else { throw fail("tensor \(name) holds NaN or infinite values") }
            p.value = t
        }
        return model
    }
}
