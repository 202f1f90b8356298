import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// A classifier of fixed-size rows (a sequence, a flattened image, tabular features) into
/// classes: logits (B, classes) for rows (B, F). One training loop and one file format serve
/// every model `seqtool classify` offers.
public final class SequenceClassifier: Module {
    /// The architecture, stored in the model file's metadata.
    public enum Architecture: Equatable, Sendable {
        /// Many-to-one: the rows as sequences of one value per step (every `subsample`-th
        /// value), the last hidden state -> Linear -> classes.
        case recurrent(cell: CellKind, hidden: Int, layers: Int, subsample: Int)
        /// Dense layers with ReLU between them.
        case mlp(hidden: [Int])
        /// Two Conv1D-ReLU-MaxPool blocks over the row as a 1-channel signal, then Linear.
        case cnn1d
        /// LeNet-style: Conv2D-ReLU-MaxPool twice over the row as a 1-channel HxW image,
        /// Flatten, Dropout 0.25, Linear.
        case cnn2d(height: Int, width: Int)
    }

    /// The architecture.
    public let architecture: Architecture
    /// Values per row (F) and classes (C).
    public let featureCount: Int, classCount: Int
    /// Standardisation applied to every input value: (x - mean) / std.
    public var inputMean: Float = 0, inputStd: Float = 1
    let rnn: (any RecurrentStack)?
    let network: Sequential
    /// The source of the initial weights and the dropout masks.
    public let random: RandomSource

    /// A fresh classifier of rows of `featureCount` values into `classCount` classes.
    public init(_ architecture: Architecture, featureCount: Int, classCount: Int, random: RandomSource) {
        self.architecture = architecture
        self.featureCount = featureCount
        self.classCount = classCount
        self.random = random
        switch architecture {
        case .recurrent(let cell, let hidden, let layers, _):
            rnn = cell.makeLayer(
                inputSize: 1, hiddenSize: hidden, numLayers: layers, forgetGateBias: cell == .lstm ? 1 : nil,
                random: random)
            network = Sequential([Linear(inFeatures: hidden, outFeatures: classCount, random: random)])
        case .mlp(let hidden):
            var layers: [any Layer] = []
            var width = featureCount
            for h in hidden {
                layers += [Linear(inFeatures: width, outFeatures: h, random: random), Activation(.relu)]
                width = h
            }
            network = Sequential(layers + [Linear(inFeatures: width, outFeatures: classCount, random: random)])
            rnn = nil
        case .cnn1d:
            let pooled = featureCount / 2 / 2
            precondition(pooled > 0, "cnn1d: rows of \(featureCount) values are too short for two pooling steps")
            network = Sequential([
                Conv1D(inChannels: 1, outChannels: 16, kernelSize: 5, padding: 2, random: random), Activation(.relu),
                MaxPool1D(kernel: 2),
                Conv1D(inChannels: 16, outChannels: 32, kernelSize: 5, padding: 2, random: random), Activation(.relu),
                MaxPool1D(kernel: 2),
                Flatten(), Linear(inFeatures: 32 * pooled, outFeatures: classCount, random: random),
            ])
            rnn = nil
        case .cnn2d(let height, let width):
            precondition(
                height * width == featureCount, "cnn2d: \(height)x\(width) image does not match \(featureCount) values")
            let pooled = (height / 2 / 2) * (width / 2 / 2)
            precondition(pooled > 0, "cnn2d: \(height)x\(width) is too small for two 2x2 poolings")
            network = Sequential([
                Conv2D(inChannels: 1, outChannels: 16, kernel: (3, 3), padding: (1, 1), random: random),
                Activation(.relu), MaxPool2D(kernel: (2, 2)),
                Conv2D(inChannels: 16, outChannels: 32, kernel: (3, 3), padding: (1, 1), random: random),
                Activation(.relu), MaxPool2D(kernel: (2, 2)),
                Flatten(), Dropout(probability: 0.25, random: random),
                Linear(inFeatures: 32 * pooled, outFeatures: classCount, random: random),
            ])
            rnn = nil
        }
    }

    /// Parameters are named `rnn.weight_ih_l0`, ..., `net.0.weight`, ...
    public var children: [(String, any Module)] { (rnn.map { [("rnn", $0)] } ?? []) + [("net", network)] }

    /// Logits (B, classes) for rows (B, F).
    public func logits(_ rows: Tensor) -> Variable {
        precondition(
            rows.rank == 2 && rows.shape[1] == featureCount,
            "classifier: rows \(rows.shape), expected (B, \(featureCount))")
        let B = rows.shape[0]
        var x = rows
        let p = x.mutablePointer, inv = 1 / inputStd
        for i in 0..<x.count { p[i] = (p[i] - inputMean) * inv }
        switch architecture {
        case .recurrent(_, let hidden, let layers, let subsample):
            // (B, F) -> (T, B, 1), time-major, every subsample-th value.
            let T = (featureCount + subsample - 1) / subsample
            var seq = Tensor(uninitialized: [T, B, 1])
            let sp = seq.mutablePointer
            for t in 0..<T { for b in 0..<B { sp[t * B + b] = p[b * featureCount + t * subsample] } }
            let h = rnn!(Variable(seq), state: nil).state.h
            let last = layers == 1 ? h.reshaped([B, hidden]) : h.slice((layers - 1)..<layers).reshaped([B, hidden])
            return network(last)
        case .mlp:
            return network(Variable(x))
        case .cnn1d:
            return network(Variable(x.reshaped([B, 1, featureCount])))
        case .cnn2d(let height, let width):
            return network(Variable(x.reshaped([B, 1, height, width])))
        }
    }

    /// Predicted classes for rows (B, F), in inference mode and without recording.
    public func predict(_ rows: Tensor, batch: Int = 256) -> [Int] {
        var out: [Int] = []
        inferenceMode {
            var start = 0
            while start < rows.shape[0] {
                let end = min(rows.shape[0], start + batch)
                let l = logits(rows.slice(start..<end)).value
                for r in 0..<(end - start) { out.append(Kernels.argmax(l.pointer + r * classCount, count: classCount)) }
                start = end
            }
        }
        return out
    }
}
