import Foundation
import SeqTensor

extension SequenceClassifier {
    public static let format = "seqtool.classifier.v1"

    /// Writes the classifier (atomically) with its architecture and input scaling in the metadata.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        var m = extra
        m["format"] = Self.format
        m["features"] = String(featureCount)
        m["classes"] = String(classCount)
        m["input_mean"] = String(inputMean)
        m["input_std"] = String(inputStd)
        switch architecture {
        case let .recurrent(cell, hidden, layers, subsample):
            m["model"] = cell.rawValue
            m["hidden"] = String(hidden)
            m["layers"] = String(layers)
            m["subsample"] = String(subsample)
        case let .mlp(hidden):
            m["model"] = "mlp"
            m["hidden"] = hidden.map(String.init).joined(separator: ",")
        case .cnn1d:
            m["model"] = "cnn1d"
        case let .cnn2d(h, w):
            m["model"] = "cnn2d"
            m["image"] = "\(h)x\(w)"
        }
        var tensors: [String: SafeTensors.Entry] = [:]
        for (name, p) in namedParameters { tensors[name] = SafeTensors.Entry(p.value) }
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: m), to: path)
    }

    /// Loads a classifier written by `save`; errors name the file and the problem.
    public static func load(path: String) throws -> SequenceClassifier {
        let file = try SafeTensors.read(path: path)
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        guard m["format"] == Self.format else { throw fail("is \(m["format"].map { "a \($0) file" } ?? "not a seqtool model"), not a classifier (\(Self.format))") }
        func int(_ key: String) throws -> Int {
            guard let v = m[key].flatMap(Int.init), v > 0 else { throw fail("metadata \(key) is missing or not a positive integer") }
            return v
        }
        let architecture: Architecture
        switch m["model"] ?? "" {
        case "mlp": architecture = .mlp(hidden: (m["hidden"] ?? "").split(separator: ",").compactMap { Int($0) })
        case "cnn1d": architecture = .cnn1d
        case "cnn2d":
            let parts = (m["image"] ?? "").split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw fail("metadata image is not HxW") }
            architecture = .cnn2d(height: parts[0], width: parts[1])
        case let name:
            guard let cell = CellKind(rawValue: name) else { throw fail("metadata model \"\(name)\" is unknown") }
            architecture = .recurrent(cell: cell, hidden: try int("hidden"), layers: try int("layers"), subsample: try int("subsample"))
        }
        let model = SequenceClassifier(architecture, featureCount: try int("features"), classCount: try int("classes"), random: RandomSource(seed: 0))
        model.inputMean = Float(m["input_mean"] ?? "0") ?? 0
        model.inputStd = Float(m["input_std"] ?? "1") ?? 1
        for (name, p) in model.namedParameters {
            guard let e = file.tensors[name] else { throw fail("tensor \(name) is missing") }
            guard e.shape == p.shape else { throw fail("tensor \(name) has shape \(e.shape), expected \(p.shape)") }
            p.value = e.tensor
        }
        return model
    }
}
