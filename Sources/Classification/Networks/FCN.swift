import Feedforward
import SeqTensor

/// `.fcn`, the fully convolutional network of Wang et al. 2017: three Conv1D-BatchNorm-ReLU
/// blocks ("same" padding), global average pooling over each series' own steps, Linear.
final class FCN: ClassifierNetwork {
    let body: ConvolutionBlocks
    let head: Linear

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        body = ConvolutionBlocks(channels: channels, random: random)
        head = Linear(inFeatures: body.features, outFeatures: classCount, random: random)
    }

    var children: [(String, any Module)] { body.children + [("head", head)] }

    func logits(_ batch: SeriesBatch) -> Variable { head(body(batch)) }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        ConvolutionBlocks.stateShapes(channels: channels)
            + [("head.weight", [classCount, ConvolutionBlocks.filters.last!]), ("head.bias", [classCount])]
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        steps * ConvolutionBlocks.multiplyAddsPerStep(channels: channels)
    }
}

/// The FCN's convolutions: Conv1D(k) - BatchNorm - ReLU with 128, 256, 128 filters of 8, 5 and 3
/// steps, then the mean over each series' own steps: (B, C, T) -> (B, 128). Named `conv.k` and `norm.k`.
struct ConvolutionBlocks {
    static let filters = [128, 256, 128], kernels = [8, 5, 3]
    let convolutions: [Conv1D], norms: [BatchNorm1d]

    init(channels: Int, random: RandomSource) {
        (convolutions, norms) = Self.stack(
            channels: channels, filters: Self.filters, kernels: Self.kernels, random: random)
    }

    /// Conv1D-BatchNorm pairs ("same" padding) from `channels` through `filters` of `kernels` steps.
    static func stack(channels: Int, filters: [Int], kernels: [Int], random: RandomSource) -> (
        [Conv1D], [BatchNorm1d]
    ) {
        var width = channels
        var convolutions: [Conv1D] = [], norms: [BatchNorm1d] = []
        for (filters, kernel) in zip(filters, kernels) {
            convolutions.append(
                Conv1D(
                    inChannels: width, outChannels: filters, kernelSize: kernel,
                    padding: samePadding(kernelSize: kernel), random: random))
            norms.append(BatchNorm1d(numFeatures: filters))
            width = filters
        }
        return (convolutions, norms)
    }

    /// Features out (the last block's filters).
    var features: Int { Self.filters.last! }

    var children: [(String, any Module)] {
        convolutions.enumerated().map { ("conv.\($0.offset)", $0.element as any Module) }
            + norms.enumerated().map { ("norm.\($0.offset)", $0.element as any Module) }
    }

    /// (B, 128): the blocks over `batch`'s every step, averaged over each series' own steps.
    func callAsFunction(_ batch: SeriesBatch) -> Variable {
        var x = Variable(batch.channelMajor)
        let padded = !batch.isFull
        for (conv, norm) in zip(convolutions, norms) {
            // "Same" padding: an even kernel k pads k/2 - 1 before and k/2 after, as Keras and PyTorch.
            x = norm(conv(x)).relu()
            // Steps past a series' end are zeroed again, so that the next convolution sees the
            // zeros "same" padding puts there, whatever batch the series is in.
            if padded { x = x * Variable(batch.mask(channels: x.shape[1])) }
        }
        return globalAveragePool1d(x, lengths: batch.lengths)
    }

    /// The convolutions' multiply-adds per step.
    static func multiplyAddsPerStep(channels: Int) -> Double { convolutionWeights(stateShapes(channels: channels)) }

    /// The convolution weights among `shapes` (the rank-3 tensors): one multiply-add each per step.
    static func convolutionWeights(_ shapes: [(String, [Int])]) -> Double {
        Double(shapes.filter { $0.1.count == 3 }.reduce(0) { $0 + $1.1.reduce(1, *) })
    }

    static func stateShapes(channels: Int) -> [(String, [Int])] {
        var shapes: [(String, [Int])] = []
        var width = channels
        for (k, (filters, kernel)) in zip(Self.filters, Self.kernels).enumerated() {
            shapes += [("conv.\(k).weight", [filters, width, kernel]), ("conv.\(k).bias", [filters])]
            width = filters
        }
        for (k, filters) in Self.filters.enumerated() {
            shapes += ["weight", "bias", "running_mean", "running_var"].map { ("norm.\(k).\($0)", [filters]) }
        }
        return shapes
    }
}
