import Feedforward
import Foundation
import Recurrent
import SeqTensor

extension SequenceClassifier {
    /// The `format` of the model file's metadata.
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
        case .recurrent(let cell, let hidden, let layers, let subsample):
            m["model"] = cell.name
            m["hidden"] = String(hidden)
            m["layers"] = String(layers)
            m["subsample"] = String(subsample)
        case .mlp(let hidden):
            m["model"] = "mlp"
            m["hidden"] = hidden.map(String.init).joined(separator: ",")
        case .cnn1d:
            m["model"] = "cnn1d"
        case .cnn2d(let h, let w):
            m["model"] = "cnn2d"
            m["image"] = "\(h)x\(w)"
        }
        try save(to: path, metadata: m)
    }

    /// Loads a classifier written by `save`; errors name the file and the problem.
    public static func load(path: String) throws -> SequenceClassifier {
        let file = try SafeTensors.read(path: path)
        let m = file.metadata
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        try requireFormat(m, Self.format, kind: "a classifier", path: path)
        func int(_ key: String) throws -> Int { try requireMetadataInt(m, key, limit: 1 << 24, path: path) }
        let architecture: Architecture
        switch m["model"] ?? "" {
        case "mlp":
            let hidden = (m["hidden"] ?? "").split(separator: ",").compactMap { Int($0) }
            guard hidden.allSatisfy({ $0 > 0 && $0 <= 1 << 24 }) else {
                throw fail("metadata hidden is not a list of layer sizes")
            }
            architecture = .mlp(hidden: hidden)
        case "cnn1d": architecture = .cnn1d
        case "cnn2d":
            let parts = (m["image"] ?? "").split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw fail("metadata image is not HxW") }
            guard parts.allSatisfy({ $0 > 0 && $0 <= 1 << 12 }) else { throw fail("metadata image is not HxW") }
            architecture = .cnn2d(height: parts[0], width: parts[1])
        case let name:
            guard let cell = CellKind(name: name) else { throw fail("metadata model \"\(name)\" is unknown") }
            architecture = .recurrent(
                cell: cell, hidden: try int("hidden"), layers: try int("layers"), subsample: try int("subsample"))
        }
        let features = try int("features"), classes = try int("classes")
        // The last Linear layer's shape follows from the metadata alone; checking it (and the
        // recurrent weights) first keeps corrupt sizes from turning into huge allocations.
        let netLinears = file.tensors.keys.filter { $0.hasPrefix("net.") && $0.hasSuffix(".weight") }.sorted {
            Int($0.split(separator: ".")[1]) ?? 0 < Int($1.split(separator: ".")[1]) ?? 0
        }
        guard let last = netLinears.last, file.tensors[last]!.shape.first == classes else {
            throw fail("the output layer does not have \(classes) classes")
        }
        var implied = 0.0
        switch architecture {
        case .recurrent(let cell, let hidden, let layers, _):
            try ModelFile.check(
                cell.parameterShapes(inputSize: 1, hiddenSize: hidden, numLayers: layers).map {
                    ("rnn." + $0.0, $0.1)
                },
                in: file, path: path)
        case .mlp(let hidden):
            let widths = ([features] + hidden + [classes]).map { Double($0) }
            for k in 1..<widths.count { implied += widths[k - 1] * widths[k] }
        case .cnn1d: implied = 32 * Double(features / 4) * Double(classes)
        case .cnn2d(let h, let w):
            implied = h * w == features ? 32 * Double(h / 4) * Double(w / 4) * Double(classes) : .infinity
        }
        var stored = 0.0
        for entry in file.tensors.values { stored += entry.shape.reduce(1.0) { $0 * Double($1) } }
        guard implied <= stored else { throw fail("metadata sizes imply more parameters than the file stores") }
        let model = SequenceClassifier(
            architecture, featureCount: features, classCount: classes, random: RandomSource(seed: 0))
        model.inputMean = Float(m["input_mean"] ?? "0") ?? 0
        model.inputStd = Float(m["input_std"] ?? "1") ?? 1
        try model.load(file, path: path)
        return model
    }
}
