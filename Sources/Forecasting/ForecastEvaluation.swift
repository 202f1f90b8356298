import Datasets
import SeqTensor

/// The hold-out protocol of the forecasting competitions and of the anchors' script: the last H
/// values of every series are held out, a forecaster sees the rest (the history) and forecasts
/// them, and the forecasts are scored (`ForecastScores`) beside the statistical baselines'.
public struct ForecastEvaluation {
    /// Steps held out and forecast (H), and the season of MASE's scale and the seasonal naive forecast.
    public let horizon: Int, season: Int
    /// The series with their last H values held out (missing values filled), and those values.
    public let histories: TimeSeriesSet, actuals: [[Float]]

    /// Holds out the last `horizon` values of every series of `series` (missing values filled
    /// first); an error names a series with fewer than `horizon + 2` values.
    public init(series: TimeSeriesSet, horizon: Int, season: Int = 1) throws {
        precondition(horizon > 0 && season > 0, "ForecastEvaluation: horizon and season must be positive")
        var histories = try series.fillingMissing()
        var actuals: [[Float]] = []
        for (k, s) in histories.series.enumerated() {
            guard s.values.count >= horizon + 2 else {
                throw DataError(
                    file: series.source,
                    problem: "series \(s.name) has \(s.values.count) values; holding out a horizon of \(horizon) "
                        + "needs at least \(horizon + 2)")
            }
            actuals.append(Array(s.values.suffix(horizon)))
            histories.series[k].values.removeLast(horizon)
        }
        (self.horizon, self.season, self.histories, self.actuals) = (horizon, season, histories, actuals)
    }

    /// The scores of `forecasts` (one of H values per series).
    public func scores(_ forecasts: [[Float]]) -> ForecastScores {
        ForecastScores(
            histories: histories.series.map(\.values), actuals: actuals, forecasts: forecasts, season: season)
    }

    /// A baseline's forecasts of the held-out values.
    public func forecasts(of baseline: Baseline) -> [[Float]] {
        histories.series.map { baseline.forecast($0.values, horizon: horizon, season: season) }
    }

    /// Every baseline's scores.
    public func baselineScores() -> [(baseline: Baseline, scores: ForecastScores)] {
        Baseline.allCases.map { ($0, scores(forecasts(of: $0))) }
    }
}
