import Foundation
import SeqTensor

/// MiniRocket's kernels and what is fitted to a training set: the dilations, how many features each
/// dilation gives, the channels each kernel reads, and the biases (Dempster, Schmidt & Webb 2021,
/// "MINIROCKET: A Very Fast (Almost) Deterministic Transform for Time Series Classification"; the
/// multivariate channel combinations as in their MiniRocketMultivariate, as aeon 1.6 has them).
///
/// The 84 kernels have length 9 and weights -1 and 2: three 2s, six -1s, so each sums to 0 and a
/// convolution ignores the series' level. Kernel (a, b, c) at dilation d reads steps t + (i - 4) d,
/// i = 0...8, with zeros outside the series ("same" padding of 4d on each side):
///
///     C_t = Σ_i w_i x_{t + (i-4) d},   w_i = 2 for i ∈ {a, b, c}, -1 otherwise.
///
/// Feature f of kernel k at dilation index j is the proportion of positive values (PPV) of C - b_f
/// over the series' steps, and every other (j + k odd) over the steps whose window lies inside the
/// series ([4d, n - 4d)), as the reference implementation alternates them. Features are ordered
/// dilation by dilation, then kernel by kernel, then bias by bias.
public struct MiniRocketParameters: Equatable, Sendable {
    /// The 84 kernels: the three positions (of 0...8) that weigh 2, in the order of
    /// `itertools.combinations(range(9), 3)`, as the reference implementation orders them.
    public static let kernels: [[Int]] = {
        var out: [[Int]] = []
        for a in 0..<9 { for b in (a + 1)..<9 { for c in (b + 1)..<9 { out.append([a, b, c]) } } }
        return out
    }()

    /// Kernels (84).
    public static let kernelCount = 84

    /// The dilations, increasing.
    public let dilations: [Int]
    /// Features per kernel at each dilation (their sum is the features per kernel).
    public let featuresPerDilation: [Int]
    /// The channels each (dilation, kernel) convolution reads and sums, dilation by dilation, then
    /// kernel by kernel (84 per dilation); every list is [0] for one-channel series.
    public let combinations: [[Int]]
    /// One bias per feature, in feature order.
    public var biases: [Float]

    /// Parameters as given; `combinations` holds 84 lists per dilation and `biases` one value per
    /// feature (84 times the sum of `featuresPerDilation`).
    public init(dilations: [Int], featuresPerDilation: [Int], combinations: [[Int]], biases: [Float]) {
        precondition(
            !dilations.isEmpty && dilations.count == featuresPerDilation.count
                && dilations.allSatisfy { $0 > 0 } && featuresPerDilation.allSatisfy { $0 > 0 },
            "MiniRocketParameters: dilations and their feature counts")
        precondition(
            combinations.count == Self.kernelCount * dilations.count && combinations.allSatisfy { !$0.isEmpty },
            "MiniRocketParameters: \(combinations.count) channel combinations, expected 84 per dilation")
        precondition(
            biases.count == Self.kernelCount * featuresPerDilation.reduce(0, +),
            "MiniRocketParameters: \(biases.count) biases for \(featuresPerDilation.reduce(0, +)) per kernel")
        (self.dilations, self.featuresPerDilation, self.combinations, self.biases) = (
            dilations, featuresPerDilation, combinations, biases
        )
    }

    /// Features (84 times the features per kernel).
    public var featureCount: Int { Self.kernelCount * featuresPerDilation.reduce(0, +) }

    /// The features a request for `features` gives: 84 times `features / 84`, and at least 84.
    public static func featureCount(requested features: Int) -> Int { kernelCount * max(1, features / kernelCount) }

    /// The dilations for series of `length` steps and how many features each gives (of `features`,
    /// rounded down to a multiple of 84), at most `maxDilations` of them: exponentially spaced from
    /// 1 to (length - 1) / 8, so that the widest kernel spans the series,
    ///
    ///     D = unique(⌊2^e⌋),  e = 0, s, 2s, ..., log2((length - 1) / 8),  (M values, M = min(per kernel, max)),
    ///
    /// each repeated value giving per-kernel / M features per repeat (rounded down, the rest handed
    /// out from the smallest dilation up). Series shorter than 9 steps get dilation 1 only.
    public static func dilations(length: Int, features: Int, maxDilations: Int) -> (
        dilations: [Int], featuresPerDilation: [Int]
    ) {
        let perKernel = max(1, features / kernelCount)
        let count = max(1, min(perKernel, maxDilations))
        let multiplier = Double(perKernel) / Double(count)
        let maxExponent = max(0, log2(Double(max(length, 1) - 1) / 8))
        // np.logspace(0, maxExponent, count, base=2), truncated to integers, as numpy computes it.
        let step = count > 1 ? maxExponent / Double(count - 1) : 0
        var dilations: [Int] = [], repeats: [Int] = []
        for i in 0..<count {
            let exponent = i == count - 1 && count > 1 ? maxExponent : Double(i) * step
            let d = Int(Foundation.pow(2, exponent))
            if dilations.last == d {
                repeats[repeats.count - 1] += 1
            } else {
                (dilations, repeats) = (dilations + [d], repeats + [1])
            }
        }
        var perDilation = repeats.map { Int(Double($0) * multiplier) }
        var remainder = perKernel - perDilation.reduce(0, +), i = 0
        while remainder > 0 {
            perDilation[i] += 1
            remainder -= 1
            i = (i + 1) % perDilation.count
        }
        return (dilations, perDilation)
    }

    /// The quantiles the biases are drawn at, one per feature: the fractional parts of k φ
    /// (k = 1, 2, ...; φ the golden ratio), a low-discrepancy sequence in (0, 1).
    public static func quantiles(_ count: Int) -> [Float] {
        let phi = (5.0.squareRoot() + 1) / 2
        return (0..<count).map { Float((Double($0 + 1) * phi).truncatingRemainder(dividingBy: 1)) }
    }

    /// Parameters fitted to `batch` (its series as the network reads them) for `features` features
    /// (rounded down to a multiple of 84) and at most `maxDilations` dilations: the dilations from
    /// the longest series, each (dilation, kernel)'s channels (2^u of them, u uniform in
    /// [0, log2(min(C, 9) + 1)), drawn without replacement) and its biases, the quantiles of that
    /// convolution over one training series drawn at random.
    public static func fit(
        _ batch: SeriesBatch, features: Int, maxDilations: Int, generator: inout SeededGenerator
    ) -> MiniRocketParameters {
        let (dilations, perDilation) = Self.dilations(
            length: batch.lengths.max() ?? 1, features: features, maxDilations: maxDilations)
        let C = batch.channels, combinationCount = kernelCount * dilations.count
        let exponent = log2(Double(min(C, 9) + 1))
        let counts = (0..<combinationCount).map { _ in Int(Foundation.pow(2, generator.nextDouble() * exponent)) }
        let combinations = counts.map { count in
            // The first `count` of a Fisher-Yates shuffle of the channels.
            var channels = Array(0..<C)
            for i in 0..<count { channels.swapAt(i, i + generator.nextInt(below: C - i)) }
            return Array(channels[..<count])
        }
        let examples = (0..<combinationCount).map { _ in generator.nextInt(below: batch.count) }
        let unfitted = MiniRocketParameters(
            dilations: dilations, featuresPerDilation: perDilation, combinations: combinations,
            biases: [Float](repeating: 0, count: kernelCount * perDilation.reduce(0, +)))
        let biases = MiniRocketTransform.fitBiases(
            unfitted, batch: batch, examples: examples, quantiles: quantiles(unfitted.featureCount))
        return MiniRocketParameters(
            dilations: dilations, featuresPerDilation: perDilation, combinations: combinations, biases: biases)
    }
}
