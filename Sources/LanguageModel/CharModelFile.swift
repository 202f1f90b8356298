import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

extension CharLanguageModel {
    /// The `format` metadata value of a character model file.
    public static let format = "seqtool.charlm.v1"

    /// Writes the model as one safetensors file (atomically), with the architecture and the
    /// vocabulary in `__metadata__`, plus `extra` entries (a training summary).
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try save(to: path, metadata: extra.merging(metadata) { $1 })
    }

    /// The architecture and vocabulary as stored in `__metadata__`.
    public var metadata: [String: String] {
        var metadata: [String: String] = [:]
        metadata["format"] = Self.format
        metadata["cell"] = configuration.cell.name
        metadata["embed"] = String(configuration.embedding)
        metadata["hidden"] = String(configuration.hidden)
        metadata["layers"] = String(configuration.layers)
        metadata["dropout"] = String(configuration.dropout)
        metadata["vocab"] = vocabulary.json
        return metadata
    }

    /// Loads a model written by `save` (or by PyTorch with the same names and metadata).
    /// Throws an error naming the file and the problem: another kind of file, a missing or
    /// misshapen tensor, a broken vocabulary.
    public static func load(path: String) throws -> (model: CharLanguageModel, metadata: [String: String]) {
        let file = try SafeTensors.read(path: path)
        return (try load(file, path: path), file.metadata)
    }

    /// The model in `file` (read from `path`, which errors name).
    public static func load(_ file: SafeTensors.File, path: String) throws -> CharLanguageModel {
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        try requireFormat(m, Self.format, kind: "a character model", path: path)
        guard let cellName = m["cell"], let cell = CellKind(name: cellName) else {
            throw fail("metadata cell \"\(m["cell"] ?? "")\" is not \(CellKind.nameList)")
        }
        func size(_ key: String) throws -> Int {
            guard let s = m[key], let v = Int(s), v > 0, v <= 1 << 24 else {
                throw fail("metadata \(key) \"\(m[key] ?? "")\" is not an integer in 1...\(1 << 24)")
            }
            return v
        }
        guard let vocabJSON = m["vocab"], let vocabulary = CharVocabulary(json: vocabJSON) else {
            throw fail("metadata vocab is not a JSON array of distinct one-character strings")
        }
        let configuration = Configuration(
            cell: cell, vocabularySize: vocabulary.count, embedding: try size("embed"),
            hidden: try size("hidden"), layers: try size("layers"), dropout: Float(m["dropout"] ?? "0") ?? -1)
        guard configuration.dropout >= 0 && configuration.dropout < 1 else {
            throw fail("metadata dropout \"\(m["dropout"] ?? "")\" is not in [0, 1)")
        }
        let (V, E, H) = (configuration.vocabularySize, configuration.embedding, configuration.hidden)
        let rnnShapes = cell.parameterShapes(inputSize: E, hiddenSize: H, numLayers: configuration.layers)
        try ModelFile.check(
            [("embed.weight", [V, E])] + rnnShapes.map { ("rnn." + $0.0, $0.1) } + [
                ("head.weight", [V, H]), ("head.bias", [V]),
            ],
            in: file, path: path)
        let model = CharLanguageModel(configuration, vocabulary: vocabulary, random: RandomSource(seed: 0))
        try model.load(file, path: path)
        return model
    }
}
