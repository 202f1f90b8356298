import Datasets
import Feedforward
import SeqTensor

/// A classifier of series into named classes: any number of channels per step, lengths that may
/// differ (for the architectures that allow it), inputs standardised per channel with the
/// training data's statistics inside the model. CSV rows are one-channel series.
///
///     let model = Classifier(.fcn, channels: 1, length: nil, classNames: ["1", "2"], random: RandomSource(seed: 1))
///     model.standardise(from: training)
///     let probabilities = model.probabilities(test)      // [[Float]], one row per series
///
/// Train it with a `ClassifierTask` in a `TrainingSession` (or `ClassifierTraining`, which also
/// splits off validation series and sizes the run); fit a closed-form architecture (MiniRocket)
/// with `fit(_:)` instead. Parameters are named as the architecture's
/// network names them (`rnn.weight_ih_l0`, `conv.0.weight`, `net.0.weight`, `head.weight`).
public final class Classifier: Module {
    /// The network between the series and the logits.
    public let architecture: Architecture
    /// Values per step (C).
    public let channels: Int
    /// The series length the architecture takes (`needsEqualLength`), nil for any length.
    public let length: Int?
    /// The classes, in output order: class k is `classNames[k]`.
    public let classNames: [String]
    /// Recurrent layers read steps 0, k, 2k, ... of each series (k = `subsample`).
    public let subsample: Int
    /// Standardisation of each channel: (x - mean) / std, from the training data.
    public var channelMean: [Float], channelStd: [Float]
    /// The layers.
    public let network: any ClassifierNetwork
    /// The source of the initial weights, the dropout masks and the training order.
    public let random: RandomSource

    /// A fresh classifier of `architecture` for series of `channels` values per step (of `length`
    /// steps when the architecture needs one length) into `classNames.count` classes.
    public init(
        _ architecture: Architecture, channels: Int, length: Int?, classNames: [String], subsample: Int = 1,
        random: RandomSource
    ) {
        precondition(channels > 0 && !classNames.isEmpty, "Classifier: no channels or no classes")
        precondition(subsample >= 1, "Classifier: subsample must be positive")
        if let problem = architecture.problem(channels: channels, length: length) {
            preconditionFailure("Classifier: \(problem)")
        }
        (self.architecture, self.channels, self.classNames, self.random) = (architecture, channels, classNames, random)
        self.length = architecture.needsEqualLength ? length : nil
        self.subsample = subsample
        channelMean = Array(repeating: 0, count: channels)
        channelStd = Array(repeating: 1, count: channels)
        network = architecture.network.init(
            architecture, channels: channels, length: length ?? 0, classCount: classNames.count, random: random)
    }

    public var children: [(String, any Module)] { [("network", network)] }

    /// The network's parameters keep their own names (`rnn.weight_ih_l0`, `head.bias`): the model
    /// file names them as PyTorch's module of the network alone would.
    public func qualifiedName(_ name: String, inChild child: String) -> String { name }

    /// Sets `channelMean` and `channelStd` from every step of every series of `data` (in double,
    /// two passes; a constant channel gets deviation 1).
    public func standardise(from data: LabeledSeries) {
        for c in 0..<channels {
            var sum = 0.0, n = 0.0
            for series in data.values {
                for t in stride(from: c, to: series.count, by: channels) { sum += Double(series[t]) }
            }
            n = Double(data.values.reduce(0) { $0 + $1.count / channels })
            let mean = sum / max(n, 1)
            var squares = 0.0
            for series in data.values {
                for t in stride(from: c, to: series.count, by: channels) {
                    squares += (Double(series[t]) - mean) * (Double(series[t]) - mean)
                }
            }
            let variance = squares / max(n, 1)
            channelMean[c] = Float(mean)
            channelStd[c] = variance > 0 ? Float(variance.squareRoot()) : 1
        }
    }

    /// Series `indices` of `data`, standardised, as the network reads them.
    public func batch(_ data: LabeledSeries, _ indices: [Int]) -> SeriesBatch {
        precondition(data.channels == channels, "Classifier: \(data.channels) channels, the model has \(channels)")
        return SeriesBatch(
            data.values, indices, channels: channels, mean: channelMean, std: channelStd, subsample: subsample)
    }

    /// Logits (B, K) of series `indices` of `data`.
    public func logits(_ data: LabeledSeries, _ indices: [Int]) -> Variable { network.logits(batch(data, indices)) }

    /// Why `data` cannot be classified by this model (channels, lengths, labels it does not know),
    /// or nil when it can. `source` names the data in the message.
    public func problem(with data: LabeledSeries, source: String) -> String? {
        Self.problem(
            with: data, source: source, architecture: architecture, channels: channels, length: length,
            classNames: classNames)
    }

    /// Why `data` cannot be classified by an `architecture` model of `channels` channels, series of
    /// `length` steps (nil, or an architecture without `needsEqualLength`: any) and classes
    /// `classNames`, or nil when it can: what
    /// `problem(with:source:)` says of that model, known before it is built (or trained).
    public static func problem(
        with data: LabeledSeries, source: String, architecture: Architecture, channels: Int, length: Int?,
        classNames: [String]
    ) -> String? {
        if data.channels != channels {
            return "\(source): series have \(data.channels) channel(s), the model takes \(channels)"
        }
        if architecture.needsEqualLength, let length, let other = data.lengths.first(where: { $0 != length }) {
            return "\(source): a series has \(other) steps, the model (\(architecture.name)) takes series of \(length)"
        }
        if let unknown = data.labels(outside: classNames).first {
            return "\(source): label \"\(unknown)\" is not one of the model's classes "
                + "(\(classNames.joined(separator: ", ")))"
        }
        return nil
    }

    /// Class probabilities (N, K) of every series of `data`, in inference mode, `batch` at a time.
    public func probabilities(_ data: LabeledSeries, batch: Int) -> [[Float]] {
        var out: [[Float]] = []
        inferenceMode {
            for start in stride(from: 0, to: data.count, by: batch) {
                let indices = Array(start..<min(data.count, start + batch))
                let p = logits(data, indices).softmax().value
                for r in 0..<indices.count { out.append(p[r].scalars) }
            }
        }
        return out
    }
}
