import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// What a `GlobalForecaster` is: its network, the windows it reads, what it forecasts, and how.
public struct ForecasterConfiguration: Sendable, Equatable {
    /// The recurrent cell, its hidden units and stacked layers.
    public var cell: CellKind, hidden: Int, layers: Int
    /// Steps forecast at once (H).
    public var horizon: Int
    /// The most values of a series' end the network reads (the window).
    public var window: Int
    /// Steps in a season (P) for the seasonal inputs; 1: none.
    public var season: Int
    /// The data's frequency (nil: unknown), and whether the seasonal position of a value comes
    /// from its calendar time (month of the year, ...) or from its step number in the series.
    public var frequency: Frequency?, calendarSeason: Bool
    /// The quantiles forecast (Q, increasing, 0.5 among them: the point forecast).
    public var quantiles: [Float]
    /// How windows are scaled.
    public var scaling: ScalingRule
    /// Networks trained from different seeds, whose forecasts' median is the forecast.
    public var members: Int

    /// `seqtool forecast`'s defaults for `horizon`: an LSTM of 32 units, a window of 8 horizons (at
    /// least 3 seasons), the 10%, 50% and 90% quantiles, an ensemble of 5 members.
    public init(
        horizon: Int, window: Int? = nil, season: Int = 1, frequency: Frequency? = nil, calendarSeason: Bool = false,
        cell: CellKind = .lstm, hidden: Int = 32, layers: Int = 1, quantiles: [Float] = [0.1, 0.5, 0.9],
        scaling: ScalingRule = .lastValueMeanStep, members: Int = 5
    ) {
        self.horizon = horizon
        self.window = window ?? Self.defaultWindow(horizon: horizon, season: season)
        (self.season, self.frequency, self.calendarSeason) = (season, frequency, calendarSeason)
        (self.cell, self.hidden, self.layers) = (cell, hidden, layers)
        (self.quantiles, self.scaling, self.members) = (quantiles, scaling, members)
    }

    /// The default window: 8 horizons, at least 3 seasons.
    public static func defaultWindow(horizon: Int, season: Int) -> Int { max(8 * horizon, 3 * season) }

    /// What is wrong with the configuration, if anything.
    public var problem: String? {
        if horizon < 1 || horizon > 100_000 { return "horizon \(horizon) is not in 1...100000" }
        if window < 1 || window > 1_000_000 { return "window \(window) is not in 1...1000000" }
        if season < 1 || season > 1_000_000 { return "season \(season) is not in 1...1000000" }
        if hidden < 1 || hidden > 1 << 16 || layers < 1 || layers > 1 << 10 { return "hidden or layers out of range" }
        if members < 1 || members > 1000 { return "members \(members) is not in 1...1000" }
        if quantiles.isEmpty || quantiles.count > 99 || !quantiles.allSatisfy({ $0 > 0 && $0 < 1 })
            || zip(quantiles, quantiles.dropFirst()).contains(where: { $0 >= $1 }) || !quantiles.contains(0.5)
        {
            return "quantiles must increase within (0, 1) and include 0.5"
        }
        return nil
    }

    /// Features a step (F).
    public var features: Int { ForecastInputs.featureCount(season: season) }
    /// Outputs of a member (H * Q).
    public var outputs: Int { horizon * quantiles.count }
}

/// The forecast of one series: every quantile of every step, and the point forecast (the median).
public struct SeriesForecast: Sendable, Equatable {
    /// The quantiles forecast, as the forecaster's configuration lists them.
    public let quantiles: [Float]
    /// `values[q][h]`: quantile q of step h + 1 after the end of the series (Q, H).
    public let values: [[Float]]

    /// The point forecast (H): the median.
    public var point: [Float] { values[quantiles.firstIndex(of: 0.5)!] }

    /// Quantile `tau`'s forecast (H), if it is one of `quantiles`.
    public func quantile(_ tau: Float) -> [Float]? { quantiles.firstIndex(of: tau).map { values[$0] } }
}

/// A global forecaster: one recurrent model trained across all the series of a data set, each
/// window scaled by its own statistics (`ScalingRule`), forecasting H steps and Q quantiles at
/// once from the end of a series. An ensemble of `members` networks from different seeds forecasts
/// the median of theirs.
///
///     let model = GlobalForecaster(ForecasterConfiguration(horizon: 6), random: RandomSource(seed: 1))
///     // ... train with a ForecastTask in a TrainingSession ...
///     let forecasts = model.forecast([history], phases: [0])   // [SeriesForecast], H steps each
///
/// Its file (`save(to:extra:)`, `load(path:)`) holds the members' weights as PyTorch's
/// `ModuleList` would name them (`members.0.rnn.weight_ih_l0`, ..., `members.0.head.bias`) and
/// the configuration in the metadata.
public final class GlobalForecaster: Module {
    /// What it is.
    public let configuration: ForecasterConfiguration
    /// The members.
    public let members: [ForecastNetwork]

    /// A forecaster of `configuration` (which must have no `problem`); member k is drawn from
    /// `randoms[k]` (or all from `random`).
    public init(_ configuration: ForecasterConfiguration, randoms: [RandomSource]) {
        precondition(configuration.problem == nil, "GlobalForecaster: \(configuration.problem!)")
        precondition(randoms.count == configuration.members, "GlobalForecaster: one random source per member")
        self.configuration = configuration
        let c = configuration
        members = randoms.map {
            ForecastNetwork(
                cell: c.cell, features: c.features, hidden: c.hidden, layers: c.layers, outputs: c.outputs, random: $0)
        }
    }

    /// A forecaster whose members are all drawn from `random`, in order.
    public convenience init(_ configuration: ForecasterConfiguration, random: RandomSource) {
        self.init(configuration, randoms: Array(repeating: random, count: configuration.members))
    }

    public var children: [(String, any Module)] { members.enumerated().map { ("members.\($0.offset)", $0.element) } }

    /// The windows the network reads of `histories`: their last `window` values, and where in the
    /// season the first of them sits, given where each history's first value does (`phases`).
    func windows(_ histories: [[Float]], phases: [Int]) -> (windows: [ArraySlice<Float>], phases: [Int]) {
        let w = configuration.window, P = configuration.season
        return (
            histories.map { $0.suffix(w) },
            zip(histories, phases).map { h, p in (p + max(h.count - w, 0)) % P }
        )
    }

    /// The forecasts of the H steps after each of `histories` (each at least one value), whose
    /// first values sit at `phases` in the season (0 without one): each member's quantiles, put
    /// back on the series' scale, their median over the members, sorted so that quantiles do not cross.
    public func forecast(_ histories: [[Float]], phases: [Int]) -> [SeriesForecast] {
        precondition(histories.count == phases.count, "forecast: one phase per history")
        precondition(histories.allSatisfy { !$0.isEmpty }, "forecast: an empty history")
        guard !histories.isEmpty else { return [] }
        let c = configuration, Q = c.quantiles.count, H = c.horizon
        let (windows, starts) = windows(histories, phases: phases.map { (($0 % c.season) + c.season) % c.season })
        let inputs = ForecastInputs(windows: windows, phases: starts, season: c.season, rule: c.scaling)
        let outputs: [Tensor] = inferenceMode { members.map { $0(inputs).value } }
        return (0..<histories.count).map { b in
            let (location, scale) = (inputs.locations[b], inputs.scales[b])
            var values = [[Float]](repeating: [Float](repeating: 0, count: H), count: Q)
            for h in 0..<H {
                var column: [Float] = []
                for q in 0..<Q {
                    let drawn = outputs.map { $0.pointer[b * H * Q + h * Q + q] }
                    column.append(location + scale * median(drawn))
                }
                column.sort()
                for q in 0..<Q { values[q][h] = column[q] }
            }
            return SeriesForecast(quantiles: c.quantiles, values: values)
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Float]) -> Float {
    let sorted = values.sorted(), n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}
