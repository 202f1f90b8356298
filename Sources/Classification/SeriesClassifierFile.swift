import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

extension SeriesClassifier {
    /// The `format` of the model file's metadata.
    public static let format = "seqtool.series-classifier.v1"

    /// The metadata that rebuilds the model: architecture, channels, class names (JSON) and the
    /// per-channel standardisation.
    public var metadata: [String: String] {
        var m = ["format": Self.format, "channels": String(channels), "subsample": String(subsample)]
        m["class_names"] = String(decoding: (try? JSONEncoder().encode(classNames)) ?? Data("[]".utf8), as: UTF8.self)
        m["channel_mean"] = channelMean.map { String($0) }.joined(separator: ",")
        m["channel_std"] = channelStd.map { String($0) }.joined(separator: ",")
        switch architecture {
        case .recurrent(let cell, let hidden, let layers, let bidirectional):
            (m["model"], m["hidden"], m["layers"]) = (cell.name, String(hidden), String(layers))
            m["bidirectional"] = String(bidirectional)
        case .fcn: m["model"] = "fcn"
        case .lstmFCN(let hidden): (m["model"], m["hidden"]) = ("lstm-fcn", String(hidden))
        }
        return m
    }

    /// Writes the classifier (atomically): parameters, batch-norm statistics and `metadata`.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try save(to: path, metadata: extra.merging(metadata) { $1 })
    }

    /// Loads a classifier written by `save`; errors name the file and the problem.
    public static func load(path: String) throws -> SeriesClassifier {
        let file = try SafeTensors.read(path: path)
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        try requireFormat(m, Self.format, kind: "a series classifier", path: path)
        func int(_ key: String) throws -> Int { try requireMetadataInt(m, key, limit: 1 << 16, path: path) }
        let channels = try int("channels")
        guard let names = m["class_names"].flatMap({ try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }),
            !names.isEmpty
        else { throw fail("metadata class_names is missing or not a JSON list of strings") }
        func floats(_ key: String) throws -> [Float] {
            let values = (m[key] ?? "").split(separator: ",").compactMap { Float($0) }
            guard values.count == channels, values.allSatisfy({ $0.isFinite }) else {
                throw fail("metadata \(key) does not hold \(channels) numbers")
            }
            return values
        }
        let architecture: Architecture
        switch m["model"] ?? "" {
        case "fcn": architecture = .fcn
        case "lstm-fcn": architecture = .lstmFCN(hidden: try int("hidden"))
        case let name:
            guard let cell = CellKind(name: name) else { throw fail("metadata model \"\(name)\" is unknown") }
            architecture = .recurrent(
                cell: cell, hidden: try int("hidden"), layers: try int("layers"),
                bidirectional: m["bidirectional"] == "true")
        }
        guard file.tensors["head.weight"]?.shape.first == names.count else {
            throw fail("the output layer does not have \(names.count) classes")
        }
        let model = SeriesClassifier(
            architecture, channels: channels, classNames: names,
            subsample: m["subsample"] == nil ? 1 : try int("subsample"),
            random: RandomSource(seed: 0))
        (model.channelMean, model.channelStd) = (try floats("channel_mean"), try floats("channel_std"))
        try model.load(file, path: path)
        return model
    }
}
