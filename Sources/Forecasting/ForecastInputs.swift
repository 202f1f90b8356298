import Foundation
import SeqTensor

/// How a window of a series is put on a common scale before the network reads it, and how the
/// network's outputs are put back (DeepAR and N-BEATS scale each series by its own statistics; so
/// does this, by those of the window the network sees).
public enum ScalingRule: String, Sendable, CaseIterable {
    /// Location: the window's last value; scale: its mean absolute step, mean |y_t - y_{t-1}| (the
    /// in-sample error of the naive forecast, MASE's denominator at lag 1); the mean absolute value
    /// where every step is 0, and 1 where that is 0 too. A forecast is `location + scale * output`:
    /// an output of 0 is the naive forecast, and the training loss in these units is the MASE.
    case lastValueMeanStep = "last_value_mean_abs_step"

    /// The location and scale of `context` (at least one value).
    public func statistics(_ context: ArraySlice<Float>) -> (location: Float, scale: Float) {
        precondition(!context.isEmpty, "ScalingRule: an empty window")
        var steps: Double = 0, magnitude: Double = 0
        var previous = context.first!
        for v in context {
            steps += Double(abs(v - previous))
            magnitude += Double(abs(v))
            previous = v
        }
        var scale = context.count > 1 ? steps / Double(context.count - 1) : 0
        if !(scale > 0) { scale = magnitude / Double(context.count) }
        if !(scale > 0) || !scale.isFinite { scale = 1 }
        return (context.last!, Float(scale))
    }
}

/// The network's inputs for a batch of windows: (T, B, F) time-major, left-aligned with the
/// lengths of the shorter ones, and each window's location and scale.
///
/// Features of step i of a window c of length L, location l and scale s:
/// `(c_i - l) / (s max(L - 1, 1))` (the level relative to the last value, in [-1, 1]),
/// `(c_i - c_{i-1}) / s` (the step, 0 at i = 0), and with a season of P > 1 steps,
/// `sin(2 pi p_i / P)` and `cos(2 pi p_i / P)` of the step's position p_i in the season.
public struct ForecastInputs {
    /// (T, B, F) features.
    public let features: Tensor
    /// Each window's length (B).
    public let lengths: [Int]
    /// Each window's location and scale (B).
    public let locations: [Float], scales: [Float]

    /// Features per step for a season of `season` steps (1: no seasonal inputs).
    public static func featureCount(season: Int) -> Int { season > 1 ? 4 : 2 }

    /// The inputs of `windows` (each at least one value), whose first values sit at positions
    /// `phases` of a season of `season` steps, scaled by `rule`.
    public init(windows: [ArraySlice<Float>], phases: [Int], season: Int, rule: ScalingRule) {
        precondition(windows.count == phases.count && !windows.isEmpty, "ForecastInputs: one phase per window")
        let B = windows.count, T = windows.map(\.count).max()!, F = Self.featureCount(season: season)
        var x = Tensor(zeros: [T, B, F])
        let p = x.mutablePointer
        var locations: [Float] = [], scales: [Float] = []
        for (b, window) in windows.enumerated() {
            let (location, scale) = rule.statistics(window)
            locations.append(location)
            scales.append(scale)
            let L = window.count, level = 1 / (scale * Float(max(L - 1, 1))), inverse = 1 / scale
            var previous = window.first!
            for (i, v) in window.enumerated() {
                let o = (i * B + b) * F
                p[o] = (v - location) * level
                p[o + 1] = (v - previous) * inverse
                previous = v
                if season > 1 {
                    let angle = 2 * Float.pi * Float((phases[b] + i) % season) / Float(season)
                    (p[o + 2], p[o + 3]) = (sin(angle), cos(angle))
                }
            }
        }
        features = x
        lengths = windows.map(\.count)
        (self.locations, self.scales) = (locations, scales)
    }
}
