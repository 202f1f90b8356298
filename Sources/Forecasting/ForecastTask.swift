import Feedforward
import SeqTensor
import Training

/// A global forecaster's training task: every step, each member draws `batch` windows across
/// the series (a series at random, then a forecast origin in it at random, the window the values
/// before it, at most `window` of them, the targets the H values after it) and scores its
/// quantile forecasts of the targets with the quantile loss, in units of each window's scale
/// (the MASE, for the median). The step's loss is the members' mean: each member's gradient is
/// its own loss's (1/N of it), so the members train as N runs from N seeds would, except that
/// clipping (by the global norm over every member's gradients) scales them together when it engages.
public final class ForecastTask: TrainingTask {
    /// `seqtool forecast`'s defaults: Adam at 1e-2 annealed to 0 by a cosine over 1000 steps, clip 1.
    public static func defaultOptions(steps: Int = 1000) -> TrainingOptions {
        TrainingOptions(
            schedule: LearningRateSchedule(base: 1e-2, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 1,
            steps: steps)
    }

    /// Windows per member and step, by default.
    public static let defaultBatch = 64
    /// The fewest values a training window has (one step, for its scale).
    public static let minimumWindow = 2

    /// The model.
    public let model: GlobalForecaster
    /// The series trained on, and where each one's first value sits in the season.
    public let histories: [[Float]], phases: [Int]
    /// Windows per member and step.
    public let batch: Int
    /// Each member's source of windows.
    public let randoms: [RandomSource]
    /// The series long enough for a window and its targets.
    public let eligible: [Int]

    /// A task training `model` on `histories` (`phases` as `GlobalForecaster.forecast` takes
    /// them), drawing member k's windows from `randoms[k]`. Throws when no series has
    /// `minimumWindow + horizon` values.
    public init(model: GlobalForecaster, histories: [[Float]], phases: [Int], batch: Int, randoms: [RandomSource])
        throws
    {
        precondition(histories.count == phases.count, "ForecastTask: one phase per series")
        precondition(randoms.count == model.members.count && batch > 0, "ForecastTask: one random source per member")
        let H = model.configuration.horizon
        eligible = histories.indices.filter { histories[$0].count >= Self.minimumWindow + H }
        guard !eligible.isEmpty else {
            throw DataError(
                file: "the training series",
                problem: "none has at least the \(Self.minimumWindow + H) values a window of \(Self.minimumWindow) and "
                    + "a horizon of \(H) need")
        }
        (self.model, self.histories, self.phases, self.batch, self.randoms) = (model, histories, phases, batch, randoms)
    }

    public var trainedModel: any Module { model }
    public var modelMetadata: [String: String] { model.metadata }
    public var stateFormat: String { "seqtool.forecaster-state.v1" }

    /// The loss of `batch` windows drawn for member `k`.
    func memberLoss(_ k: Int) -> Variable {
        let c = model.configuration, H = c.horizon, Q = c.quantiles.count
        var windows: [ArraySlice<Float>] = [], starts: [Int] = [], targets: [[Float]] = []
        for _ in 0..<batch {
            let s = eligible[randoms[k].generator.nextInt(below: eligible.count)]
            let series = histories[s]
            let origins = series.count - H - Self.minimumWindow + 1
            let origin = Self.minimumWindow + randoms[k].generator.nextInt(below: origins)
            let first = max(0, origin - c.window)
            windows.append(series[first..<origin])
            starts.append((phases[s] + first) % c.season)
            targets.append(Array(series[origin..<(origin + H)]))
        }
        let inputs = ForecastInputs(windows: windows, phases: starts, season: c.season, rule: c.scaling)
        var scaled = Tensor(uninitialized: [batch * H])
        let t = scaled.mutablePointer
        for b in 0..<batch {
            for h in 0..<H { t[b * H + h] = (targets[b][h] - inputs.locations[b]) / inputs.scales[b] }
        }
        let outputs = model.members[k](inputs).reshaped([batch * H, Q])
        return quantileLoss(outputs, target: scaled, quantiles: c.quantiles)
    }

    public func batch(step: Int) throws -> TrainingBatch {
        let losses = model.members.indices.map(memberLoss)
        let total = losses.dropFirst().reduce(losses[0]) { $0 + $1 }
        return TrainingBatch(loss: losses.count == 1 ? total : (1 / Float(losses.count)) * total, size: batch)
    }

    public func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.metadata["rng_members"] = randoms.map { TrainingCheckpoint.encode($0.generator.stateWords) }
            .joined(separator: ";")
    }

    public func restoreState(from checkpoint: TrainingCheckpoint) throws {
        let saved = (checkpoint.metadata["rng_members"] ?? "").split(separator: ";").map {
            $0.split(separator: ",").compactMap { UInt64($0) }
        }
        guard saved.count == randoms.count, saved.allSatisfy({ $0.count == 4 }) else {
            throw checkpoint.failure("metadata rng_members does not hold \(randoms.count) generators")
        }
        for (random, words) in zip(randoms, saved) { random.generator = SeededGenerator(stateWords: words) }
    }
}
