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
}

/// The FCN's convolutions: Conv1D(k) - BatchNorm - ReLU with 128, 256, 128 filters of 8, 5 and 3
/// steps, then the mean over each series' own steps: (B, C, T) -> (B, 128). Named `conv.k` and `norm.k`.
struct ConvolutionBlocks {
    static let filters = [128, 256, 128], kernels = [8, 5, 3]
    let convolutions: [Conv1D], norms: [BatchNorm1d]

    init(channels: Int, random: RandomSource) {
        var width = channels
        var convolutions: [Conv1D] = [], norms: [BatchNorm1d] = []
        for (filters, kernel) in zip(Self.filters, Self.kernels) {
            convolutions.append(
                Conv1D(inChannels: width, outChannels: filters, kernelSize: kernel, padding: kernel / 2, random: random)
            )
            norms.append(BatchNorm1d(numFeatures: filters))
            width = filters
        }
        (self.convolutions, self.norms) = (convolutions, norms)
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
        let T = batch.steps, padded = !batch.isFull
        for (conv, norm) in zip(convolutions, norms) {
            var y = conv(x)
            // An even kernel k padded by k/2 on both sides gives T + 1 steps; "same" padding
            // (k/2 - 1 before, k/2 after, as Keras and PyTorch pad) is the last T of them.
            if y.shape[2] > T { y = narrowLastAxis(y, (y.shape[2] - T)..<y.shape[2]) }
            x = norm(y).relu()
            // Steps past a series' end are zeroed again, so that the next convolution sees the
            // zeros "same" padding puts there, whatever batch the series is in.
            if padded { x = x * Variable(batch.mask(channels: x.shape[1])) }
        }
        return globalAveragePool1d(x, lengths: batch.lengths)
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
