import Datasets
import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// A classifier of multichannel time series of any length (`LabeledSeries`), with class labels
/// kept as strings: the recurrent layers over C channels per step with PyTorch's packed-sequence
/// semantics (each series classified from its own last real step), FCN and LSTM-FCN.
///
/// - `fcn` (Wang et al. 2017): three Conv1D-BatchNorm-ReLU blocks of 128, 256 and 128 filters
///   with kernels 8, 5 and 3 ("same" padding), global average pooling over each series' real
///   steps, Linear to the classes.
/// - `lstmFCN` (Karim et al. 2017): an LSTM branch (its last real step, then dropout 0.8) beside
///   the FCN branch, concatenated before the Linear head.
///
/// Inputs are standardised per channel with the training data's mean and deviation
/// (`channelMean`, `channelStd`), which are saved with the model. The recurrent branch reads every
/// `subsample`-th step (an LSTM learns little from hundreds of steps of a slowly varying signal);
/// the convolutions read every step.
public final class SeriesClassifier: Module {
    /// The architectures, stored in the model file's metadata.
    public enum Architecture: Equatable, Sendable {
        /// A recurrent stack over the channels; the last layer's final state (both directions'
        /// when bidirectional) -> Linear.
        case recurrent(cell: CellKind, hidden: Int, layers: Int, bidirectional: Bool = false)
        /// The fully convolutional network.
        case fcn
        /// An LSTM of `hidden` units beside the FCN.
        case lstmFCN(hidden: Int)
    }

    /// The architecture.
    public let architecture: Architecture
    /// Channels per step (C).
    public let channels: Int
    /// The class labels, in class order: class k is `classNames[k]`.
    public let classNames: [String]
    /// Per-channel standardisation: (x - mean) / std.
    public var channelMean: [Float], channelStd: [Float]
    /// The recurrent branch reads steps 0, k, 2k, ... of each series.
    public let subsample: Int
    let rnn: (any RecurrentStack)?
    let convolutions: [Conv1D], norms: [BatchNorm1d]
    let rnnDropout: Dropout?
    let head: Linear
    /// The source of the initial weights and the dropout masks.
    public let random: RandomSource

    /// The FCN's filters and kernels.
    static let fcnFilters = [128, 256, 128], fcnKernels = [8, 5, 3]

    /// A fresh classifier of series of `channels` values per step into `classNames.count` classes.
    public init(
        _ architecture: Architecture, channels: Int, classNames: [String], subsample: Int = 1, random: RandomSource
    ) {
        precondition(channels > 0 && classNames.count >= 1, "SeriesClassifier: no channels or no classes")
        precondition(subsample >= 1, "SeriesClassifier: subsample must be positive")
        (self.architecture, self.channels, self.classNames, self.random) = (architecture, channels, classNames, random)
        self.subsample = subsample
        channelMean = Array(repeating: 0, count: channels)
        channelStd = Array(repeating: 1, count: channels)
        var features = 0
        switch architecture {
        case .recurrent(let cell, let hidden, let layers, let bidirectional):
            rnn = cell.makeLayer(
                inputSize: channels, hiddenSize: hidden, numLayers: layers, bidirectional: bidirectional,
                forgetGateBias: cell == .lstm ? 1 : nil, random: random)
            rnnDropout = nil
            features = hidden * (bidirectional ? 2 : 1)
        case .lstmFCN(let hidden):
            rnn = CellKind.lstm.makeLayer(inputSize: channels, hiddenSize: hidden, forgetGateBias: 1, random: random)
            rnnDropout = Dropout(probability: 0.8, random: random)
            features = hidden
        case .fcn:
            (rnn, rnnDropout) = (nil, nil)
        }
        if architecture == .fcn || architecture.usesConvolutions {
            var width = channels
            var convolutions: [Conv1D] = [], norms: [BatchNorm1d] = []
            for (filters, kernel) in zip(Self.fcnFilters, Self.fcnKernels) {
                convolutions.append(
                    Conv1D(
                        inChannels: width, outChannels: filters, kernelSize: kernel, padding: kernel / 2, random: random
                    ))
                norms.append(BatchNorm1d(numFeatures: filters))
                width = filters
            }
            (self.convolutions, self.norms) = (convolutions, norms)
            features += width
        } else {
            (convolutions, norms) = ([], [])
        }
        head = Linear(inFeatures: features, outFeatures: classNames.count, random: random)
    }

    /// Parameters are named `rnn.weight_ih_l0`, ..., `conv.0.weight`, `norm.0.running_mean`, ...,
    /// `head.weight`.
    public var children: [(String, any Module)] {
        var modules: [(String, any Module)] = []
        if let rnn { modules.append(("rnn", rnn)) }
        for (k, conv) in convolutions.enumerated() { modules.append(("conv.\(k)", conv)) }
        for (k, norm) in norms.enumerated() { modules.append(("norm.\(k)", norm)) }
        if let rnnDropout { modules.append(("dropout", rnnDropout)) }
        modules.append(("head", head))
        return modules
    }

    /// Classes (K).
    public var classCount: Int { classNames.count }

    /// Sets `channelMean` and `channelStd` from every step of every series of `data`.
    public func standardise(from data: LabeledSeries) {
        for c in 0..<channels {
            var sum = 0.0, squares = 0.0, n = 0.0
            for series in data.values {
                var t = c
                while t < series.count {
                    sum += Double(series[t])
                    squares += Double(series[t]) * Double(series[t])
                    n += 1
                    t += channels
                }
            }
            let mean = sum / max(n, 1)
            let variance = max(squares / max(n, 1) - mean * mean, 0)
            channelMean[c] = Float(mean)
            channelStd[c] = variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
    }

    /// Logits (B, K) for series `indices` of `data`, padded with zeros to the longest of them.
    public func logits(_ data: LabeledSeries, _ indices: [Int]) -> Variable {
        precondition(data.channels == channels, "SeriesClassifier: \(data.channels) channels, model has \(channels)")
        let B = indices.count, C = channels
        let lengths = indices.map { data.values[$0].count / C }
        let T = lengths.max() ?? 1
        // Time-major (T', B, C) over every subsample-th step for the recurrent branch,
        // channel-major (B, C, T) over every step for the convolutions.
        let k = subsample, steps = lengths.map { ($0 + k - 1) / k }, TR = steps.max() ?? 1
        var timeMajor = Tensor(zeros: [TR, B, C]), channelMajor = Tensor(zeros: [B, C, T])
        let tp = timeMajor.mutablePointer, cp = channelMajor.mutablePointer
        for (b, i) in indices.enumerated() {
            let series = data.values[i]
            for t in 0..<lengths[b] {
                for c in 0..<C {
                    let v = (series[t * C + c] - channelMean[c]) / channelStd[c]
                    if t % k == 0 { tp[((t / k) * B + b) * C + c] = v }
                    cp[(b * C + c) * T + t] = v
                }
            }
        }
        var features: [Variable] = []
        if let rnn {
            let (_, state) = rnn(Variable(timeMajor), state: nil, lengths: steps)
            // The last layer's final states: h is (L*D, B, H), layer-major, so its D directions
            // are the last D entries; a reverse direction ends at each series' first step.
            let H = rnn.hiddenSize, L = rnn.numLayers, D = rnn.directions
            var last = state.h.slice((L * D - D)..<(L * D)).reshaped([D, B, H])
            last =
                D == 1
                ? last.reshaped([B, H])
                : concatenateLastAxis([last.slice(0..<1), last.slice(1..<2)]).reshaped([B, 2 * H])
            if let rnnDropout { last = rnnDropout(last) }
            features.append(last)
        }
        if !convolutions.isEmpty {
            var x = Variable(channelMajor)
            let padded = lengths.contains { $0 < T }
            for (conv, norm) in zip(convolutions, norms) {
                var y = conv(x)
                // An even kernel k padded by k/2 on both sides gives T + 1 steps; "same" padding
                // (k/2 - 1 before, k/2 after, as Keras and PyTorch pad) is the last T of them.
                if y.shape[2] > T { y = narrowLastAxis(y, (y.shape[2] - T)..<y.shape[2]) }
                x = norm(y).relu()
                // Steps past a series' end are zeroed again, so that the next convolution sees the
                // zeros "same" padding puts there, whatever batch the series is in.
                if padded { x = x * Variable(Self.mask(lengths, channels: x.shape[1], steps: T)) }
            }
            features.append(globalAveragePool1d(x, lengths: lengths))
        }
        return head(features.count == 1 ? features[0] : concatenateLastAxis(features))
    }

    /// Ones (B, C, T) over each series' real steps, zeros past its length.
    static func mask(_ lengths: [Int], channels: Int, steps: Int) -> Tensor {
        var mask = Tensor(zeros: [lengths.count, channels, steps])
        let p = mask.mutablePointer
        for (b, length) in lengths.enumerated() {
            for c in 0..<channels { (p + (b * channels + c) * steps).update(repeating: 1, count: length) }
        }
        return mask
    }

    /// Class probabilities (N, K) of every series of `data`, in inference mode.
    public func probabilities(_ data: LabeledSeries, batch: Int = 64) -> [[Float]] {
        var out: [[Float]] = []
        inferenceMode {
            var start = 0
            while start < data.count {
                let indices = Array(start..<min(data.count, start + batch))
                let p = logits(data, indices).softmax().value
                for r in 0..<indices.count {
                    out.append(Array(UnsafeBufferPointer(start: p.pointer + r * classCount, count: classCount)))
                }
                start += batch
            }
        }
        return out
    }
}

extension SeriesClassifier.Architecture {
    /// Whether the architecture has the FCN branch.
    var usesConvolutions: Bool {
        switch self {
        case .fcn, .lstmFCN: true
        case .recurrent: false
        }
    }
}
