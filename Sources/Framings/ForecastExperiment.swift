import Feedforward
import Foundation
import Recurrent
import SeqTensor
import Training

/// Trains a `Forecaster` on the heads of some series and scores its multi-step forecast of their
/// held-out tails against the naive "last value" forecast: each series' last `horizon` values
/// are held out; a `ForecastTask` trains on windows of the rest in a `TrainingSession`
/// (`session`); `result()` forecasts the tails.
public final class ForecastExperiment {
    /// Root-mean-square and mean absolute error of a forecast.
    public struct Errors: CustomStringConvertible {
        /// The two errors, in the series' units.
        public let rmse: Float, mae: Float
        /// "RMSE x, MAE y".
        public var description: String { String(format: "RMSE %.4f, MAE %.4f", rmse, mae) }
    }

    /// What an experiment gives: the model's and the naive forecast's errors, and the forecasts.
    public struct Result {
        /// The trained model's errors and the last-value forecast's.
        public let model: Errors, naive: Errors
        /// Per series: the history, the true tail and the forecast.
        public let forecasts: [(history: [Float], truth: [Float], forecast: [Float])]
    }

    /// `forecast`'s defaults: Adam at 1e-2 annealed to 0 by a cosine over 2000 steps, clip 1.
    public static func defaultOptions(steps: Int = 2000) -> TrainingOptions {
        TrainingOptions(
            schedule: LearningRateSchedule(base: 1e-2, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 1,
            steps: steps)
    }

    /// The model.
    public let forecaster: Forecaster
    /// The series, and their heads (the tails held out).
    public let series: [[Float]], heads: [[Float]]
    /// Values held out and forecast.
    public let horizon: Int
    /// The task and the session that trains the model on it.
    public let task: ForecastTask, session: TrainingSession

    /// An experiment over `series` (every one at least `window + horizon + 1` values long, else an
    /// error), a `cell` forecaster of `hidden` units standardised on the heads unless `normalize`
    /// is false, trained with `options`.
    public init(
        series: [[Float]], horizon: Int, window: Int, cell: CellKind, hidden: Int, options: TrainingOptions,
        normalize: Bool = true, seed: UInt64
    ) throws {
        let heads = series.map { Array($0.dropLast(horizon)) }
        guard let shortest = heads.map(\.count).min(), shortest >= window + 1 else {
            throw DataError(
                file: "series",
                problem: "every series needs at least window + horizon + 1 = \(window + horizon + 1) values")
        }
        let random = RandomSource(seed: seed)
        forecaster = Forecaster(cell: cell, hidden: hidden, random: random)
        if normalize { (forecaster.mean, forecaster.std) = Kernels.standardisation(heads.flatMap { $0 }) }
        (self.series, self.heads, self.horizon) = (series, heads, horizon)
        task = ForecastTask(model: forecaster, heads: heads, window: window, random: random)
        session = TrainingSession(task: task, options: options)
    }

    /// The trained model's forecasts of every tail, and its errors beside the naive forecast's.
    public func result() -> Result {
        var forecasts: [([Float], [Float], [Float])] = []
        var se: Double = 0, ae: Double = 0, naiveSE: Double = 0, naiveAE: Double = 0, n = 0
        for (h, full) in zip(heads, series) {
            let truth = Array(full.suffix(horizon))
            let f = forecaster.forecast(history: h, horizon: horizon)
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
            forecasts: forecasts)
    }
}

/// A forecaster's training task: every step 32 windows of `window + 1` values drawn at random
/// from the series, the mean squared error of the one-step predictions.
public final class ForecastTask: TrainingTask {
    /// Windows per step.
    public static let batch = 32
    /// The model.
    public let model: Forecaster
    /// The series the windows come from, and their length.
    public let heads: [[Float]], window: Int
    /// Draws the windows.
    public let random: RandomSource

    /// A task training `model` on windows of `heads` (each at least `window + 1` long) drawn from `random`.
    public init(model: Forecaster, heads: [[Float]], window: Int, random: RandomSource) {
        precondition(heads.allSatisfy { $0.count > window }, "ForecastTask: a series shorter than a window")
        (self.model, self.heads, self.window, self.random) = (model, heads, window, random)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] { ["format": "seqtool.forecaster.v0"] }
    public var stateFormat: String { "seqtool.forecast-state.v0" }

    public func batch(step: Int) throws -> TrainingBatch {
        var windows = Tensor(uninitialized: [Self.batch, window + 1])
        let w = windows.mutablePointer
        for b in 0..<Self.batch {
            let h = heads[random.generator.nextInt(below: heads.count)]
            let start = random.generator.nextInt(below: h.count - window)
            for i in 0...window { w[b * (window + 1) + i] = h[start + i] }
        }
        return TrainingBatch(loss: model.loss(windows: windows), size: Self.batch)
    }

    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.saveGenerators(random.generator, group: SingleProcess())
    }

    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        random.generator = try checkpoint.generator(for: SingleProcess())
    }
}
