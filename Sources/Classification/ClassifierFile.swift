import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// A classifier's model file: the network's parameters and buffers (batch norm's running
/// statistics) under their names, and in the metadata what rebuilds it: the architecture, the
/// channels and length, the class names (a JSON list) and the standardisation. `predict` needs
/// nothing else. Files of the two classifiers before this one (`seqtool.classifier.v1` over CSV
/// rows, `seqtool.series-classifier.v1`) load too.
extension Classifier {
    /// The `format` of the model file's metadata.
    public static let format = "seqtool.classifier.v2"
    /// The formats of older classifier files, which still load.
    public static let olderFormats = ["seqtool.series-classifier.v1", "seqtool.classifier.v1"]

    /// Whether `metadata` is a classifier file's, of this format or an older one.
    public static func isClassifier(_ metadata: [String: String]) -> Bool {
        metadata["format"].map { $0 == format || olderFormats.contains($0) } ?? false
    }

    /// The metadata that rebuilds the model.
    public var metadata: [String: String] {
        var m = ["format": Self.format, "model": architecture.name, "channels": String(channels)]
        m["subsample"] = String(subsample)
        if let length { m["length"] = String(length) }
        m["class_names"] = String(decoding: (try? JSONEncoder().encode(classNames)) ?? Data("[]".utf8), as: UTF8.self)
        m["channel_mean"] = channelMean.map { String($0) }.joined(separator: ",")
        m["channel_std"] = channelStd.map { String($0) }.joined(separator: ",")
        switch architecture {
        case .mlp(let hidden): m["hidden"] = hidden.map(String.init).joined(separator: ",")
        case .cnn1d, .fcn, .resnet: break
        case .cnn2d(let height, let width): m["image"] = "\(height)x\(width)"
        case .recurrent(_, let hidden, let layers, let bidirectional):
            (m["hidden"], m["layers"], m["bidirectional"]) = (String(hidden), String(layers), String(bidirectional))
        case .lstmFCN(let hidden): m["hidden"] = String(hidden)
        case .miniRocket(let features, let maxDilations):
            (m["features"], m["max_dilations"]) = (String(features), String(maxDilations))
        }
        if let fitted = network as? any FittedClassifierNetwork { m.merge(fitted.fittedMetadata) { $1 } }
        return m
    }

    /// Writes the classifier (atomically): parameters, buffers, `metadata` and `extra`.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try save(to: path, metadata: extra.merging(metadata) { $1 })
    }

    /// Loads a classifier file (this format or an older one); errors name the file and the problem.
    public static func load(path: String) throws -> Classifier {
        try load(SafeTensors.read(path: path), path: path)
    }

    /// The classifier in `file`, read from `path` (named in errors).
    public static func load(_ file: SafeTensors.File, path: String) throws -> Classifier {
        var m = file.metadata
        guard isClassifier(m) else {
            throw DataError(
                file: path,
                problem: "is \(m["format"].map { "a \($0) file" } ?? "not a seqtool model"), not a classifier "
                    + "(\(format))")
        }
        var tensors = file.tensors
        if m["format"] == "seqtool.classifier.v1" { upgradeRows(&m, &tensors) }
        let reader = MetadataReader(metadata: m, path: path)
        let channels = try reader.integer("channels", limit: 1 << 16)
        guard let names = m["class_names"].flatMap({ try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }),
            !names.isEmpty, names.count <= 1 << 20, Set(names).count == names.count
        else { throw reader.failure("metadata class_names is missing or not a JSON list of distinct strings") }
        let architecture = try reader.architecture()
        let length = architecture.needsEqualLength ? try reader.integer("length", limit: 1 << 24) : nil
        if let problem = architecture.problem(channels: channels, length: length) { throw reader.failure(problem) }
        let subsample = m["subsample"] == nil ? 1 : try reader.integer("subsample", limit: 1 << 24)
        let upgraded = SafeTensors.File(tensors: tensors, metadata: m)
        try ModelFile.check(
            architecture.network.stateShapes(
                architecture, channels: channels, length: length ?? 0, classCount: names.count),
            in: upgraded, path: path)
        let model = Classifier(
            architecture, channels: channels, length: length, classNames: names, subsample: subsample,
            random: RandomSource(seed: 0))
        (model.channelMean, model.channelStd) = (
            try reader.floats("channel_mean", channels), try reader.floats("channel_std", channels)
        )
        try model.load(upgraded, path: path)
        try (model.network as? any FittedClassifierNetwork)?.restore(from: m, path: path)
        return model
    }

    /// A classifier of CSV rows (`seqtool.classifier.v1`) as the one-channel series classifier it
    /// is: classes "0" ... "K-1", one channel of `features` steps, the recurrent head's `net.0` as `head`.
    static func upgradeRows(_ m: inout [String: String], _ tensors: inout [String: SafeTensors.Entry]) {
        let classes = Int(m["classes"] ?? "") ?? 0
        if classes > 0, classes <= 1 << 20 {
            m["class_names"] = "[" + (0..<classes).map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        (m["channels"], m["length"]) = ("1", m["features"])
        (m["channel_mean"], m["channel_std"]) = (m["input_mean"] ?? "0", m["input_std"] ?? "1")
        if CellKind(name: m["model"] ?? "") != nil {
            m["bidirectional"] = "false"
            for name in ["weight", "bias"] { tensors["head.\(name)"] = tensors.removeValue(forKey: "net.0.\(name)") }
        }
    }
}

/// Reads a classifier file's metadata, every error naming the file and the key.
struct MetadataReader {
    let metadata: [String: String]
    let path: String

    func failure(_ problem: String) -> DataError { DataError(file: path, problem: problem) }

    func integer(_ key: String, limit: Int) throws -> Int {
        try requireMetadataInt(metadata, key, limit: limit, path: path)
    }

    /// `count` finite numbers separated by commas under `key`.
    func floats(_ key: String, _ count: Int) throws -> [Float] {
        let values = (metadata[key] ?? "").split(separator: ",").compactMap { Float($0) }
        guard values.count == count, values.allSatisfy({ $0.isFinite }) else {
            throw failure("metadata \(key) does not hold \(count) numbers")
        }
        return values
    }

    /// The architecture `model` names, with its settings.
    func architecture() throws -> Architecture {
        let name = metadata["model"] ?? ""
        switch name {
        case "mlp":
            let hidden = (metadata["hidden"] ?? "").split(separator: ",").compactMap { Int($0) }
            guard !hidden.isEmpty, hidden.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
                throw failure("metadata hidden is not a list of layer sizes")
            }
            return .mlp(hidden: hidden)
        case "cnn1d": return .cnn1d
        case "cnn2d":
            let parts = (metadata["image"] ?? "").split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 1 << 12 }) else {
                throw failure("metadata image is not HxW")
            }
            return .cnn2d(height: parts[0], width: parts[1])
        case "fcn": return .fcn
        case "resnet": return .resnet
        case "lstm-fcn": return .lstmFCN(hidden: try integer("hidden", limit: 1 << 16))
        case "minirocket":
            return .miniRocket(
                features: try integer("features", limit: 1 << 20),
                maxDilations: try integer("max_dilations", limit: 1 << 10))
        default:
            guard let cell = CellKind(name: name) else { throw failure("metadata model \"\(name)\" is unknown") }
            return .recurrent(
                cell: cell, hidden: try integer("hidden", limit: 1 << 16),
                layers: try integer("layers", limit: 1 << 10),
                bidirectional: metadata["bidirectional"] == "true")
        }
    }
}
