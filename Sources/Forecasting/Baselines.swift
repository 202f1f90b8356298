/// The statistical forecasts every forecast is scored beside, defined as statsforecast 2.1.1
/// defines them (`Naive`, `SeasonalNaive`, `SimpleExponentialSmoothingOptimized`), so that the
/// scores agree with its anchors.
public enum Baseline: String, CaseIterable, Sendable {
    /// The last value, repeated.
    case naive
    /// The value one season (m steps) before, repeated every season: f_h = y_{n - m + (h - 1) mod m}
    /// (the naive forecast where the history is shorter than a season).
    case seasonalNaive = "seasonal_naive"
    /// Simple exponential smoothing, its level's smoothing alpha chosen in [0.01, 0.99] by a golden
    /// section search for the least squared one-step error, the first level the first value.
    case ses

    /// The forecast of `horizon` steps after `history` (at least one value), season `season` steps.
    public func forecast(_ history: [Float], horizon: Int, season: Int) -> [Float] {
        precondition(!history.isEmpty && horizon > 0, "Baseline: an empty history or horizon")
        let y = history.map(Double.init)
        switch self {
        case .naive:
            return Array(repeating: history.last!, count: horizon)
        case .seasonalNaive:
            guard y.count >= season else { return Array(repeating: history.last!, count: horizon) }
            return (0..<horizon).map { history[history.count - season + $0 % season] }
        case .ses:
            let alpha = Self.sesAlpha(y, lower: 0.01, upper: 0.99)
            return Array(repeating: Float(Self.sesForecast(y, alpha: alpha)), count: horizon)
        }
    }

    /// The sum of squared one-step errors of simple exponential smoothing with `alpha`, the first
    /// forecast the first value.
    static func sesSquaredError(_ y: [Double], alpha: Double) -> Double {
        guard y.count >= 2 else { return 0 }
        var level = y[0], total: Double = 0
        for i in 1..<y.count {
            level = alpha * y[i - 1] + (1 - alpha) * level
            total += (y[i] - level) * (y[i] - level)
        }
        return total
    }

    /// The one-step forecast after `y` of simple exponential smoothing with `alpha`.
    static func sesForecast(_ y: [Double], alpha: Double) -> Double {
        var level = y[0]
        for v in y.dropLast() { level = alpha * v + (1 - alpha) * level }
        return y.count == 1 ? y[0] : alpha * y[y.count - 1] + (1 - alpha) * level
    }

    /// The alpha in [lower, upper] of the least `sesSquaredError`, by golden section search to a
    /// bracket of 1e-12, stopping at a tie (statsforecast's `golden_section_ses`).
    static func sesAlpha(_ y: [Double], lower: Double, upper: Double) -> Double {
        let ratio = (5.0.squareRoot() + 1) / 2
        var (a, b) = (lower, upper)
        var c = b - (b - a) / ratio, d = a + (b - a) / ratio
        var fc = sesSquaredError(y, alpha: c), fd = sesSquaredError(y, alpha: d)
        while abs(b - a) >= 1e-12 {
            if fc < fd {
                (b, d, fd) = (d, c, fc)
                c = b - (b - a) / ratio
                fc = sesSquaredError(y, alpha: c)
            } else if fd < fc {
                (a, c, fc) = (c, d, fd)
                d = a + (b - a) / ratio
                fd = sesSquaredError(y, alpha: d)
            } else {
                break
            }
        }
        return (a + b) / 2
    }
}
