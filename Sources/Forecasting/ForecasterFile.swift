import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// A forecaster's model file: every member's weights (`members.{k}.rnn.*`, `members.{k}.head.*`)
/// and, in the metadata, what `predict` needs besides them: the cell and sizes, the horizon, the
/// window, the season and where its positions come from, the frequency, the quantiles and the
/// scaling rule.
extension GlobalForecaster {
    /// The `format` of the model file's metadata.
    public static let format = "seqtool.forecaster.v1"

    /// The metadata that rebuilds the model.
    public var metadata: [String: String] {
        let c = configuration
        return [
            "format": Self.format, "cell": c.cell.name, "hidden": String(c.hidden), "layers": String(c.layers),
            "horizon": String(c.horizon), "window": String(c.window), "season": String(c.season),
            "season_from": c.calendarSeason ? "calendar" : "step", "frequency": c.frequency?.name ?? "",
            "quantiles": c.quantiles.map { String($0) }.joined(separator: ","), "scaling": c.scaling.rawValue,
            "members": String(c.members),
        ]
    }

    /// Writes the forecaster (atomically): weights, `metadata` and `extra`.
    public func save(to path: String, extra: [String: String] = [:]) throws {
        try save(to: path, metadata: extra.merging(metadata) { $1 })
    }

    /// Loads a forecaster file; errors name the file and the key or tensor.
    public static func load(path: String) throws -> GlobalForecaster {
        try load(SafeTensors.read(path: path), path: path)
    }

    /// The forecaster in `file`, read from `path` (named in errors).
    public static func load(_ file: SafeTensors.File, path: String) throws -> GlobalForecaster {
        let m = file.metadata
        try requireFormat(m, format, kind: "a forecaster", path: path)
        func fail(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        func integer(_ key: String, limit: Int) throws -> Int {
            try requireMetadataInt(m, key, limit: limit, path: path)
        }
        guard let cell = m["cell"].flatMap({ CellKind(name: $0) }) else {
            throw fail("metadata cell \"\(m["cell"] ?? "")\" is not a recurrent cell")
        }
        guard let scaling = m["scaling"].flatMap(ScalingRule.init(rawValue:)) else {
            throw fail("metadata scaling \"\(m["scaling"] ?? "")\" is not a scaling rule")
        }
        let frequencyName = m["frequency"] ?? ""
        let frequency = frequencyName.isEmpty ? nil : Frequency(name: frequencyName)
        guard frequencyName.isEmpty || frequency != nil else {
            throw fail("metadata frequency \"\(frequencyName)\" is not a frequency")
        }
        let quantiles = (m["quantiles"] ?? "").split(separator: ",").map { Float($0) }
        guard !quantiles.isEmpty, quantiles.allSatisfy({ $0 != nil }) else {
            throw fail("metadata quantiles is not a list of numbers")
        }
        guard m["season_from"] == "calendar" || m["season_from"] == "step" else {
            throw fail("metadata season_from must be calendar or step")
        }
        let configuration = ForecasterConfiguration(
            horizon: try integer("horizon", limit: 100_000), window: try integer("window", limit: 1_000_000),
            season: try integer("season", limit: 1_000_000), frequency: frequency,
            calendarSeason: m["season_from"] == "calendar", cell: cell, hidden: try integer("hidden", limit: 1 << 16),
            layers: try integer("layers", limit: 1 << 10), quantiles: quantiles.map { $0! }, scaling: scaling,
            members: try integer("members", limit: 1000))
        if let problem = configuration.problem { throw fail("metadata: \(problem)") }
        let c = configuration
        guard c.outputs <= 1 << 24, c.hidden * c.outputs <= 1 << 28 else {
            throw fail("metadata: the model is too large")
        }
        let member = ForecastNetwork.parameterShapes(
            cell: c.cell, features: c.features, hidden: c.hidden, layers: c.layers, outputs: c.outputs)
        try ModelFile.check(
            (0..<c.members).flatMap { k in member.map { ("members.\(k).\($0.0)", $0.1) } }, in: file, path: path)
        let model = GlobalForecaster(configuration, random: RandomSource(seed: 0))
        try model.load(file, path: path)
        return model
    }
}
