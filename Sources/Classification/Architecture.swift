import Feedforward
import Recurrent
import SeqTensor

/// A classifier's architecture: the network between a batch of standardised series and the
/// class logits. One case per architecture; its network (layers, forward, parameter shapes) is a
/// file of its own in `Networks/`.
public enum Architecture: Equatable, Sendable {
    /// Dense layers of these sizes with ReLU between them, over each series flattened (equal lengths).
    case mlp(hidden: [Int])
    /// Two Conv1D-ReLU-MaxPool blocks over the series' channels, then Linear (equal lengths).
    case cnn1d
    /// LeNet-style: Conv2D-ReLU-MaxPool twice over a one-channel series read as a `height` x
    /// `width` image, Flatten, Dropout 0.25, Linear.
    case cnn2d(height: Int, width: Int)
    /// Many-to-one recurrent: the series' steps (every `subsample`-th) through a stack of `cell`
    /// layers; the last layer's final state (both directions) -> Linear. Any length.
    case recurrent(cell: CellKind, hidden: Int, layers: Int, bidirectional: Bool = false)
    /// The fully convolutional network of Wang et al. 2017: three Conv1D-BatchNorm-ReLU blocks
    /// (128, 256, 128 filters of 8, 5, 3 steps), global average pooling over each series' own
    /// steps, Linear. Any length.
    case fcn
    /// LSTM-FCN (Karim et al. 2018): an LSTM of `hidden` units over the series (dropout 0.8 on
    /// its final state) beside the FCN, their features concatenated, Linear. Any length.
    case lstmFCN(hidden: Int)
    /// The residual network of Wang et al. 2017: three residual blocks of three
    /// Conv1D-BatchNorm-ReLU layers (64, 128, 128 filters of 8, 5, 3 steps), global average
    /// pooling over each series' own steps, Linear. Any length.
    case resnet
    /// MiniRocket (Dempster et al. 2021): `features` (rounded down to a multiple of 84) proportions
    /// of positive values of 84 fixed dilated kernels, at most `maxDilations` dilations, then a
    /// ridge classifier; fitted in closed form (`Classifier.fit`), not trained. Any length.
    case miniRocket(features: Int = 10_000, maxDilations: Int = 32)

    /// The name on the command line and in model files: `mlp`, `cnn1d`, `cnn2d`, the cell's name
    /// for recurrent models, `fcn`, `lstm-fcn`, `resnet`, `minirocket`.
    public var name: String {
        switch self {
        case .mlp: "mlp"
        case .cnn1d: "cnn1d"
        case .cnn2d: "cnn2d"
        case .recurrent(let cell, _, _, _): cell.name
        case .fcn: "fcn"
        case .lstmFCN: "lstm-fcn"
        case .resnet: "resnet"
        case .miniRocket: "minirocket"
        }
    }

    /// Whether every series must have the same length (the architectures that flatten it).
    public var needsEqualLength: Bool {
        switch self {
        case .mlp, .cnn1d, .cnn2d: true
        case .recurrent, .fcn, .lstmFCN, .resnet, .miniRocket: false
        }
    }

    /// Whether the network reads the series' steps through a recurrent layer (which reads every
    /// `subsample`-th step).
    public var isRecurrent: Bool {
        switch self {
        case .recurrent, .lstmFCN: true
        case .mlp, .cnn1d, .cnn2d, .fcn, .resnet, .miniRocket: false
        }
    }

    /// The network's type: the one place that maps a case to its file.
    var network: any ClassifierNetwork.Type {
        switch self {
        case .mlp: MLPNetwork.self
        case .cnn1d: ConvNetwork1D.self
        case .cnn2d: LeNet.self
        case .recurrent: RecurrentNetwork.self
        case .fcn: FCN.self
        case .lstmFCN: LSTMFCN.self
        case .resnet: ResNet.self
        case .miniRocket: MiniRocketNetwork.self
        }
    }

    /// Why series of `channels` channels and `length` steps (nil: lengths differ) do not fit,
    /// or nil when they do.
    public func problem(channels: Int, length: Int?) -> String? {
        if needsEqualLength && length == nil {
            return "\(name) needs series of one length "
                + "(recurrent models, fcn, resnet, lstm-fcn and minirocket take any lengths)"
        }
        return network.problem(self, channels: channels, length: length ?? 0)
    }

    /// The multiply-adds of one forward pass over a series of `steps` steps of `channels`
    /// channels (recurrent layers reading every `subsample`-th step), or nil where the network
    /// gives no estimate: `ClassifierNetwork.forwardMultiplyAdds`.
    public func forwardMultiplyAdds(channels: Int, steps: Double, subsample: Int = 1) -> Double? {
        network.forwardMultiplyAdds(self, channels: channels, steps: steps, subsample: subsample)
    }
}

/// The network of one architecture: layers from standardised series to class logits, named as
/// the model file names them (`rnn.weight_ih_l0`, `conv.0.weight`, `net.0.weight`, `head.bias`).
public protocol ClassifierNetwork: Module {
    /// A fresh network of `architecture` for series of `channels` channels and (where the
    /// architecture needs it) `length` steps, into `classCount` classes.
    init(_ architecture: Architecture, channels: Int, length: Int, classCount: Int, random: RandomSource)

    /// The logits (B, K) of `batch`.
    func logits(_ batch: SeriesBatch) -> Variable

    /// The parameters' and buffers' names and shapes, without allocating them: loaders check a
    /// file against them before building anything.
    static func stateShapes(_ architecture: Architecture, channels: Int, length: Int, classCount: Int) -> [(
        String, [Int]
    )]

    /// Why series of `channels` and `length` do not fit this network (nil: they do).
    static func problem(_ architecture: Architecture, channels: Int, length: Int) -> String?

    /// The multiply-adds of one forward pass over a series of `steps` steps (a mean, so it may
    /// be fractional) of `channels` channels, recurrent layers reading every `subsample`-th step:
    /// its convolutions', recurrent and dense layers' (the rest is small beside them). Training
    /// costs about three times this per series. Nil (the default): no estimate, and the default
    /// budget is counted in epochs alone.
    static func forwardMultiplyAdds(_ architecture: Architecture, channels: Int, steps: Double, subsample: Int)
        -> Double?
}

extension ClassifierNetwork {
    public static func problem(_ architecture: Architecture, channels: Int, length: Int) -> String? { nil }

    public static func forwardMultiplyAdds(
        _ architecture: Architecture, channels: Int, steps: Double, subsample: Int
    ) -> Double? { nil }
}
