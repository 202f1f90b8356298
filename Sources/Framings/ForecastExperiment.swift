import Foundation
import Recurrent
import SeqTensor

/// Trains a `Forecaster` on the heads of some series and scores its multi-step forecast of their
/// held-out tails against the naive "last value" forecast.
public enum ForecastExperiment {
    /// Root-mean-square and mean absolute error of a forecast.
    public struct Errors: CustomStringConvertible {
        /// The two errors, in the series' units.
        public let rmse: Float, mae: Float
        /// "RMSE x, MAE y".
        public var description: String { String(format: "RMSE %.4f, MAE %.4f", rmse, mae) }
    }

    /// What an experiment gives: the model's and the naive forecast's errors, the model, and the
    /// forecasts.
    public struct Result {
        /// The trained model's errors and the last-value forecast's.
        public let model: Errors, naive: Errors
        /// The trained model.
        public let forecaster: Forecaster
        /// Per series: the history, the true tail and the forecast.
        public let forecasts: [(history: [Float], truth: [Float], forecast: [Float])]
    }

    /// Each series' last `horizon` values are held out; windows of `window + 1` values drawn at
    /// random from the rest train the model for `steps` Adam steps (batch 32, cosine schedule).
    public static func run(
        series: [[Float]], horizon: Int, window: Int, cell: CellKind, hidden: Int, steps: Int,
        learningRate: Float = 1e-2, normalize: Bool = true, seed: UInt64,
        progress: ((Int, Float) -> Void)? = nil
    ) throws -> Result {
        let heads = series.map { Array($0.dropLast(horizon)) }
        guard let shortest = heads.map(\.count).min(), shortest >= window + 1 else {
            throw DataError(
                file: "series",
                problem: "every series needs at least --window + --horizon + 1 = \(window + horizon + 1) values")
        }
        let random = RandomSource(seed: seed)
        let model = Forecaster(cell: cell, hidden: hidden, random: random)
        if normalize { (model.mean, model.std) = Kernels.standardisation(heads.flatMap { $0 }) }
        let optimizer = Adam(model.parameters, learningRate: learningRate)
        let schedule = LearningRateSchedule(
            base: learningRate, decay: .cosine(totalSteps: steps, minimum: learningRate / 100))
        let batch = 32
        for s in 0..<steps {
            var windows = Tensor(uninitialized: [batch, window + 1])
            let w = windows.mutablePointer
            for b in 0..<batch {
                let h = heads[random.generator.nextInt(below: heads.count)]
                let start = random.generator.nextInt(below: h.count - window)
                for i in 0...window { w[b * (window + 1) + i] = h[start + i] }
            }
            optimizer.learningRate = schedule.rate(at: s)
            let (loss, _) = try optimizer.minimize(model.loss(windows: windows), clip: 1, step: s + 1)
            progress?(s + 1, loss)
        }
        var forecasts: [([Float], [Float], [Float])] = []
        var se: Double = 0, ae: Double = 0, naiveSE: Double = 0, naiveAE: Double = 0, n = 0
        for (h, full) in zip(heads, series) {
            let truth = Array(full.suffix(horizon))
            let f = model.forecast(history: h, horizon: horizon)
            for (p, t) in zip(f, truth) {
                se += Double((p - t) * (p - t))
                ae += Double(abs(p - t))
                naiveSE += Double((h.last! - t) * (h.last! - t))
                naiveAE += Double(abs(h.last! - t))
                n += 1
            }
            forecasts.append((h, truth, f))
        }
        let count = Double(max(n, 1))
        return Result(
            model: Errors(rmse: Float((se / count).squareRoot()), mae: Float(ae / count)),
            naive: Errors(rmse: Float((naiveSE / count).squareRoot()), mae: Float(naiveAE / count)),
            forecaster: model, forecasts: forecasts)
    }
}
