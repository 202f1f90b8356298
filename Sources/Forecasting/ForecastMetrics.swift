/// The error measures of a forecast, as the Monash archive and the M competitions report them.
public enum ForecastMetrics {
    /// MASE's scale: the in-sample mean absolute error of the seasonal naive forecast of lag
    /// `season`, mean |y_t - y_{t-m}| over the history (lag 1 where the history has at most m
    /// values); nil where it is 0 (a constant history) or undefined (one value).
    public static func maseScale(history: [Float], season: Int) -> Double? {
        let m = history.count > season ? season : 1
        guard history.count > m else { return nil }
        var total: Double = 0
        for t in m..<history.count { total += abs(Double(history[t]) - Double(history[t - m])) }
        let scale = total / Double(history.count - m)
        return scale > 0 && scale.isFinite ? scale : nil
    }

    /// The mean absolute scaled error: the forecast's mean absolute error over `scale`.
    public static func mase(actual: [Float], forecast: [Float], scale: Double) -> Double {
        meanAbsoluteError(actual: actual, forecast: forecast) / scale
    }

    /// The symmetric mean absolute percentage error in percent: mean 200 |y - f| / (|y| + |f|),
    /// a step where both are 0 counting 0.
    public static func smape(actual: [Float], forecast: [Float]) -> Double {
        precondition(actual.count == forecast.count && !actual.isEmpty, "smape: lengths differ or are 0")
        var total: Double = 0
        for (y, f) in zip(actual, forecast) {
            let (a, b) = (Double(y), Double(f))
            let denominator = abs(a) + abs(b)
            if denominator > 0 { total += 200 * abs(a - b) / denominator }
        }
        return total / Double(actual.count)
    }

    /// The mean absolute error.
    public static func meanAbsoluteError(actual: [Float], forecast: [Float]) -> Double {
        precondition(actual.count == forecast.count && !actual.isEmpty, "mae: lengths differ or are 0")
        return zip(actual, forecast).reduce(0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(actual.count)
    }

    /// The sum of squared errors.
    public static func squaredError(actual: [Float], forecast: [Float]) -> Double {
        zip(actual, forecast).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
    }
}

/// The scores of one forecaster over a set of series, each measure averaged over the series (as
/// the Monash archive averages them); RMSE over every forecast value.
public struct ForecastScores: Sendable, Equatable {
    /// Mean MASE over the series with a scale (see `ForecastMetrics.maseScale`).
    public var mase: Double
    /// Mean sMAPE (percent).
    public var smape: Double
    /// Root mean squared error and mean absolute error over all forecast values, in the data's units.
    public var rmse: Double, mae: Double
    /// Series whose MASE counted (the others have a constant history).
    public var scaledSeries: Int

    /// The scores of `forecasts` of `actuals` after `histories`, MASE scaled with lag `season`.
    public init(histories: [[Float]], actuals: [[Float]], forecasts: [[Float]], season: Int) {
        precondition(histories.count == actuals.count && actuals.count == forecasts.count, "ForecastScores: counts")
        var mase: Double = 0, smape: Double = 0, squared: Double = 0, absolute: Double = 0
        var scaled = 0, values = 0
        for ((history, actual), forecast) in zip(zip(histories, actuals), forecasts) {
            if let scale = ForecastMetrics.maseScale(history: history, season: season) {
                mase += ForecastMetrics.mase(actual: actual, forecast: forecast, scale: scale)
                scaled += 1
            }
            smape += ForecastMetrics.smape(actual: actual, forecast: forecast)
            squared += ForecastMetrics.squaredError(actual: actual, forecast: forecast)
            absolute += ForecastMetrics.meanAbsoluteError(actual: actual, forecast: forecast) * Double(actual.count)
            values += actual.count
        }
        self.mase = scaled > 0 ? mase / Double(scaled) : .nan
        self.smape = smape / Double(max(actuals.count, 1))
        rmse = (squared / Double(max(values, 1))).squareRoot()
        mae = absolute / Double(max(values, 1))
        scaledSeries = scaled
    }
}
