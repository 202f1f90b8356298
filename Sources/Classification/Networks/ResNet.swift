import Feedforward
import SeqTensor

/// `.resnet`, the residual network of Wang, Yan and Oates 2017 as Fawaz et al. 2019 train it:
/// three residual blocks of three Conv1D-BatchNorm layers ("same" padding; ReLU after the first
/// two) with 64, 128 and 128 filters of 8, 5 and 3 steps, each block's input added back through a
/// shortcut (a 1x1 convolution and batch norm where the channels change, batch norm alone where
/// they do not) before a ReLU; global average pooling over each series' own steps; Linear.
///
///     block(x) = relu(norm2(conv2(relu(norm1(conv1(relu(norm0(conv0(x)))))))) + shortcut(x))
///
/// Named `blocks.b.conv.i`, `blocks.b.norm.i`, `blocks.b.shortcut_conv`, `blocks.b.shortcut_norm`,
/// `head`. Steps past a series' end are zeroed after every ReLU, as in the FCN, so that a
/// series' prediction does not depend on the batch it is in.
final class ResNet: ClassifierNetwork {
    static let filters = [64, 128, 128], kernels = [8, 5, 3]
    let blocks: [ResidualBlock]
    let head: Linear

    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource) {
        var width = channels
        var blocks: [ResidualBlock] = []
        for filters in Self.filters {
            blocks.append(ResidualBlock(inChannels: width, filters: filters, random: random))
            width = filters
        }
        self.blocks = blocks
        head = Linear(inFeatures: width, outFeatures: classCount, random: random)
    }

    var children: [(String, any Module)] {
        blocks.enumerated().map { ("blocks.\($0.offset)", $0.element as any Module) } + [("head", head)]
    }

    func logits(_ batch: SeriesBatch) -> Variable {
        var x = Variable(batch.channelMajor)
        let masks = batch.isFull ? nil : SeriesMasks(batch)
        for block in blocks { x = block(x, masks: masks) }
        return head(globalAveragePool1d(x, lengths: batch.lengths))
    }

    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )] {
        var shapes: [(String, [Int])] = []
        var width = channels
        for (b, filters) in Self.filters.enumerated() {
            shapes += ResidualBlock.stateShapes(inChannels: width, filters: filters).map {
                ("blocks.\(b).\($0.0)", $0.1)
            }
            width = filters
        }
        return shapes + [("head.weight", [classCount, width]), ("head.bias", [classCount])]
    }

    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
    {
        steps
            * ConvolutionBlocks.convolutionWeights(
                stateShapes(architecture, channels: channels, length: 0, classCount: 1))
    }
}

/// One residual block: Conv1D-BatchNorm(-ReLU) three times (kernels 8, 5, 3, "same" padding),
/// plus the shortcut, then ReLU: (B, C, T) -> (B, filters, T).
final class ResidualBlock: Module {
    let convolutions: [Conv1D], norms: [BatchNorm1d]
    /// The shortcut's 1x1 convolution, where the block changes the channels.
    let shortcutConvolution: Conv1D?
    let shortcutNorm: BatchNorm1d

    init(inChannels: Int, filters: Int, random: RandomSource) {
        (convolutions, norms) = ConvolutionBlocks.stack(
            channels: inChannels, filters: ResNet.kernels.map { _ in filters }, kernels: ResNet.kernels, random: random)
        shortcutConvolution =
            inChannels == filters
            ? nil : Conv1D(inChannels: inChannels, outChannels: filters, kernelSize: 1, random: random)
        shortcutNorm = BatchNorm1d(numFeatures: filters)
    }

    var children: [(String, any Module)] {
        convolutions.enumerated().map { ("conv.\($0.offset)", $0.element as any Module) }
            + norms.enumerated().map { ("norm.\($0.offset)", $0.element as any Module) }
            + (shortcutConvolution.map { [("shortcut_conv", $0 as any Module)] } ?? [])
            + [("shortcut_norm", shortcutNorm)]
    }

    /// The block over x (B, C, T); with `masks`, steps past each series' end are zeroed after
    /// every ReLU.
    func callAsFunction(_ x: Variable, masks: SeriesMasks?) -> Variable {
        var y = x
        for (k, (conv, norm)) in zip(convolutions, norms).enumerated() {
            y = norm(conv(y))
            if k < convolutions.count - 1 { y = masks?.apply(y.relu()) ?? y.relu() }
        }
        let shortcut = shortcutNorm(shortcutConvolution.map { $0(x) } ?? x)
        let out = (y + shortcut).relu()
        return masks?.apply(out) ?? out
    }

    static func stateShapes(inChannels: Int, filters: Int) -> [(String, [Int])] {
        var shapes: [(String, [Int])] = []
        var width = inChannels
        for (k, kernel) in ResNet.kernels.enumerated() {
            shapes += [("conv.\(k).weight", [filters, width, kernel]), ("conv.\(k).bias", [filters])]
            width = filters
        }
        let norm = { (name: String) in
            ["weight", "bias", "running_mean", "running_var"].map { ("\(name).\($0)", [filters]) }
        }
        for k in ResNet.kernels.indices { shapes += norm("norm.\(k)") }
        if inChannels != filters {
            shapes += [("shortcut_conv.weight", [filters, inChannels, 1]), ("shortcut_conv.bias", [filters])]
        }
        return shapes + norm("shortcut_norm")
    }
}

/// Ones over each series' own steps and zeros past its end, (B, C, T), made once per channel
/// count for one batch of series of different lengths.
final class SeriesMasks {
    let batch: SeriesBatch
    private var made: [Int: Variable] = [:]

    init(_ batch: SeriesBatch) { self.batch = batch }

    /// x (B, C, T) with the steps past each series' end set to zero.
    func apply(_ x: Variable) -> Variable {
        let channels = x.shape[1]
        if made[channels] == nil { made[channels] = Variable(batch.mask(channels: channels)) }
        return x * made[channels]!
    }
}
