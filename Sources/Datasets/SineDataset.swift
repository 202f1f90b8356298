import Foundation
import SeqTensor

/// The sine data set of the Flux.jl tutorial seqtool grew from: ten angular velocities (class k
/// is the k-th), y(t) = sin(omega t + phi) sampled at evenly spaced t in [0, tMax].
public enum SineDataset {
    /// The angular velocity of each class, in class order.
    public static let omegas: [Double] = [0.411, 5.566, 1.624, 0.213, 0.074, 3.561, 1.222, 2.667, 0.316, 0.251]
    /// The tutorial's phases drawn from a normal distribution.
    public static let normalPhases: [Double] = [2.108, 3.051, 0.438, 2.812, 0.810, 0.579, -2.830, -4.701, 0.865, 0.357]
    /// The tutorial's phases drawn uniformly.
    public static let uniformPhases: [Double] = [
        -1.258, 0.612, 2.511, -3.571, 5.122, 0.023, 1.113, -0.782, 2.367, 3.157,
    ]

    /// One row per (class, phase): class k gets the phases `phases[k]`, in order.
    public static func rows(
        phases: [[Double]], points: Int = 1000, tMax: Double = 10, noise: Float = 0,
        generator: inout SeededGenerator
    ) -> LabeledRows {
        precondition(
            points >= 2 && phases.count == omegas.count,
            "SineDataset: need at least 2 points and phases for every class")
        var values: [Float] = []
        var labels: [Int] = []
        for (k, omega) in omegas.enumerated() {
            for phi in phases[k] {
                labels.append(k)
                for i in 0..<points {
                    let t = tMax * Double(i) / Double(points - 1)
                    values.append(Float(sin(omega * t + phi)) + (noise > 0 ? noise * generator.nextNormal() : 0))
                }
            }
        }
        return LabeledRows(features: Tensor(values, shape: [labels.count, points]), labels: labels)
    }

    /// The tutorial's 200 rows: every class with each of the 20 phases of both tables.
    public static func tutorial(
        points: Int = 1000, tMax: Double = 10, noise: Float = 0, generator: inout SeededGenerator
    ) -> LabeledRows {
        rows(
            phases: Array(repeating: normalPhases + uniformPhases, count: omegas.count), points: points, tMax: tMax,
            noise: noise, generator: &generator)
    }

    /// `count` fresh phases per class, uniform in [-pi, pi), drawn class by class.
    public static func random(
        count: Int, points: Int = 1000, tMax: Double = 10, noise: Float = 0,
        generator: inout SeededGenerator
    ) -> LabeledRows {
        let phases = omegas.map { _ in (0..<count).map { _ in -Double.pi + 2 * Double.pi * generator.nextDouble() } }
        return rows(phases: phases, points: points, tMax: tMax, noise: noise, generator: &generator)
    }
}
