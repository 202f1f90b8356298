import Feedforward
import Foundation
import SeqTensor

/// MiniRocket's transform as a part of a model: series (B, C, T) of any lengths -> features (B, p),
/// each series convolved and pooled over its own steps. Its biases are the buffer `biases` (p); the
/// dilations, features per dilation and channel combinations go in the model file's metadata.
public final class MiniRocketTransform: Module {
    /// The fitted parameters, nil until `fit` or a file sets them.
    public private(set) var parameters: MiniRocketParameters?
    /// One bias per feature (p), saved with the model.
    public let biases: Variable
    /// The channel combinations flattened: combination i reads `channelIndices[starts[i]..<starts[i + 1]]`.
    private var channelIndices: [Int32] = [], starts: [Int] = []

    /// An unfitted transform of `featureCount` features.
    public init(featureCount: Int) { biases = Variable(Tensor(zeros: [featureCount])) }

    public var directBuffers: [(String, Variable)] { [("biases", biases)] }
    public var summaryName: String { "MiniRocket(\(biases.value.count) features)" }

    /// Features (p).
    public var featureCount: Int { biases.value.count }

    /// Uses `parameters` (of `featureCount` features) from now on.
    public func set(_ parameters: MiniRocketParameters) {
        precondition(
            parameters.featureCount == featureCount, "MiniRocketTransform: \(parameters.featureCount) features")
        self.parameters = parameters
        biases.value = Tensor(parameters.biases)
        (channelIndices, starts) = Self.flatten(parameters.combinations)
    }

    /// `combinations` as one list of channels and where each combination starts in it (one more
    /// start than combinations), for the loops over them.
    static func flatten(_ combinations: [[Int]]) -> (indices: [Int32], starts: [Int]) {
        var starts = [0]
        for combination in combinations { starts.append(starts.last! + combination.count) }
        return (combinations.flatMap { $0.map(Int32.init) }, starts)
    }

    /// The features (B, p) of `batch`'s series.
    public func callAsFunction(_ batch: SeriesBatch) -> Tensor {
        guard let parameters else { preconditionFailure("MiniRocketTransform: not fitted") }
        precondition(
            starts.count == parameters.combinations.count + 1
                && channelIndices.allSatisfy { Int($0) < batch.channels },
            "MiniRocketTransform: the combinations read channels the batch (\(batch.channels)) does not have")
        let (B, C, T, p) = (batch.count, batch.channels, batch.steps, featureCount)
        let x = batch.channelMajor
        var features = Tensor(zeros: [B, p])
        let work = batch.lengths.reduce(0, +) * C * p
        let threads = work >= Parallel.minimumStepWork ? min(BLASThreads.current, B) : 1
        let maxDilation = parameters.dilations.max()!
        let (lengths, indices, starts) = (batch.lengths, channelIndices, self.starts)
        x.withUnsafeBufferPointer { x in
            let shared = (x: x.baseAddress!, out: features.mutablePointer)
            Parallel.forEach(threads, sharing: shared) { shared, part, parts in
                let workspace = MiniRocketConvolution(channels: C, capacity: T, maxDilation: maxDilation)
                indices.withUnsafeBufferPointer { indices in
                    for b in Parallel.range(of: B, part: part, of: parts) {
                        workspace.load(shared.x + b * C * T, stride: T, length: lengths[b])
                        Self.pool(
                            workspace, parameters, indices: indices, starts: starts, into: shared.out + b * p)
                    }
                }
            }
        }
        return features
    }

    /// Every feature of the series loaded in `workspace`, into `out` (p).
    static func pool(
        _ workspace: MiniRocketConvolution, _ parameters: MiniRocketParameters, indices: UnsafeBufferPointer<Int32>,
        starts: [Int], into out: UnsafeMutablePointer<Float>
    ) {
        let n = workspace.length
        var base = 0, combination = 0
        parameters.biases.withUnsafeBufferPointer { biases in
            for (j, d) in parameters.dilations.enumerated() {
                workspace.prepare(dilation: d)
                let f = parameters.featuresPerDilation[j], padding = 4 * d
                for (k, kernel) in MiniRocketParameters.kernels.enumerated() {
                    let channels = UnsafeBufferPointer(rebasing: indices[starts[combination]..<starts[combination + 1]])
                    // Every other feature pools over the steps whose window lies inside the series,
                    // when there are any.
                    let inside = (j + k) % 2 == 1 && n - 2 * padding >= 1
                    let offset = base + k * f
                    workspace.convolveAndPool(
                        kernel: (kernel[0], kernel[1], kernel[2]), dilation: d, channels: channels,
                        from: inside ? padding : 0, to: inside ? n - padding : n, biases: biases.baseAddress! + offset,
                        count: f, into: out + offset)
                    combination += 1
                }
                base += MiniRocketParameters.kernelCount * f
            }
        }
    }

    /// The biases of `parameters`' features from `batch`: for (dilation, kernel) i, the quantiles
    /// `quantiles` (one per feature) of its convolution of series `examples[i]` over all its steps,
    /// interpolated linearly between order statistics (numpy's default).
    public static func fitBiases(
        _ parameters: MiniRocketParameters, batch: SeriesBatch, examples: [Int], quantiles: [Float]
    ) -> [Float] {
        let (C, T) = (batch.channels, batch.steps)
        let combinationCount = parameters.combinations.count
        let (indices, starts) = flatten(parameters.combinations)
        // Each combination's dilation index and first feature.
        let dilationIndex = (0..<combinationCount).map { $0 / MiniRocketParameters.kernelCount }
        let firstFeature = (0..<combinationCount).map { i in
            let j = dilationIndex[i], k = i % MiniRocketParameters.kernelCount
            return MiniRocketParameters.kernelCount * parameters.featuresPerDilation[..<j].reduce(0, +)
                + k * parameters.featuresPerDilation[j]
        }
        let x = batch.channelMajor, lengths = batch.lengths
        var biases = [Float](repeating: 0, count: parameters.featureCount)
        let work = examples.reduce(0) { $0 + lengths[$1] } * C * 16
        let threads = work >= Parallel.minimumStepWork ? min(BLASThreads.current, combinationCount) : 1
        let maxDilation = parameters.dilations.max()!
        x.withUnsafeBufferPointer { x in
            biases.withUnsafeMutableBufferPointer { out in
                let shared = (x: x.baseAddress!, out: out.baseAddress!)
                Parallel.forEach(threads, sharing: shared) { shared, part, parts in
                    let workspace = MiniRocketConvolution(channels: C, capacity: T, maxDilation: maxDilation)
                    let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: T)
                    defer { scratch.deallocate() }
                    indices.withUnsafeBufferPointer { indices in
                        for i in Parallel.range(of: combinationCount, part: part, of: parts) {
                            let b = examples[i], j = dilationIndex[i], d = parameters.dilations[j]
                            let kernel = MiniRocketParameters.kernels[i % MiniRocketParameters.kernelCount]
                            workspace.load(shared.x + b * C * T, stride: T, length: lengths[b])
                            workspace.prepare(dilation: d)
                            workspace.convolve(
                                kernel: (kernel[0], kernel[1], kernel[2]), dilation: d,
                                channels: UnsafeBufferPointer(rebasing: indices[starts[i]..<starts[i + 1]]))
                            let n = lengths[b], values = UnsafeMutableBufferPointer(rebasing: scratch[..<n])
                            _ = values.update(fromContentsOf: UnsafeBufferPointer(start: workspace.output, count: n))
                            let features = firstFeature[i]..<(firstFeature[i] + parameters.featuresPerDilation[j])
                            // Only the order statistics the quantiles interpolate between are put in place.
                            let positions = features.flatMap { f -> [Int] in
                                let lower = Int((Double(n - 1) * Double(quantiles[f])).rounded(.down))
                                return [lower, min(lower + 1, n - 1)]
                            }
                            OrderStatistics.select(values, at: Array(Set(positions)).sorted())
                            for f in features { shared.out[f] = quantile(UnsafeBufferPointer(values), quantiles[f]) }
                        }
                    }
                }
            }
        }
        return biases
    }

    /// The q-quantile of `values` (in order at least at the two positions around (n - 1) q), linear
    /// between those order statistics: lower (1 - m) + upper m, in double, as numba's `np.quantile`
    /// computes it.
    static func quantile(_ values: UnsafeBufferPointer<Float>, _ q: Float) -> Float {
        let position = Double(values.count - 1) * Double(q)
        let lower = Int(position.rounded(.down)), m = position - Double(lower)
        let upper = min(lower + 1, values.count - 1)
        return Float(Double(values[lower]) * (1 - m) + Double(values[upper]) * m)
    }
}
