import Classification
import Feedforward
import Recurrent
import SeqTensor

extension Classifier {
    /// The classifier as an ONNX graph from raw series to class logits: `x` (float [B, T, C],
    /// the values as in the data file) and, with `lengths`, `lengths` (int64 [B], each series' own
    /// steps, the rest of its row padding) -> `logits` ([B, K]). The standardisation the model
    /// file carries is the graph's first two nodes; batch norm is in inference form (running
    /// statistics). Metadata `class_names` holds the classes (a JSON list, index = logit).
    ///
    /// Recurrent models (any cell with an ONNX operator, stacked, bidirectional, every k-th
    /// step), FCN, ResNet, LSTM-FCN, MLP, the 1-D CNN and the LeNet export; MiniRocket does not.
    /// - Parameter withLengths: whether the graph takes `lengths`; without it every series has all T
    ///   steps. Architectures of one fixed length (mlp, cnn1d, cnn2d) take none.
    /// - Throws: `ExportError` naming the architecture or cell that has no ONNX form and why.
    public func onnxModel(lengths withLengths: Bool = true) throws(ExportError) -> ONNX.Model {
        let b = GraphBuilder(
            name: "seqtool_classifier_\(architecture.name)",
            docString: "A \(architecture.name) classifier of series of \(channels) channel(s) into "
                + "\(classNames.count) classes: raw values in, class logits out (softmax gives the probabilities "
                + "seqtool predict prints).")
        let (x, lengths) = seriesInputs(b, channels: channels, length: length, withLengths: withLengths)
        _ = try emitLogits(b, x: x, lengths: lengths, output: "logits")
        return classifierModel(b, classCount: classNames.count, metadata: metadata, name: architecture.name)
    }

    /// The logits (B, K) of raw series `x` (B, T, C) with `lengths` (B) or nil, written to `output`
    /// if given; weights under `b`'s current name prefix.
    func emitLogits(_ b: GraphBuilder, x: String, lengths: String?, output: String?) throws(ExportError) -> String {
        let state = Dictionary(stateDict.map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
        let C = channels
        let mean = b.weight("channel_mean", channelMean, [C], doc: "per-channel mean of the training series")
        let inverse = b.weight(
            "channel_inverse_std", channelStd.map { 1 / $0 }, [C], doc: "1 / per-channel standard deviation")
        let standardised = b.op(
            "Mul", [b.op("Sub", [x, mean]), inverse], doc: "standardise: (x - mean) * (1 / std), per channel")
        let features: String
        switch architecture {
        case .recurrent(let cell, let hidden, let layers, let bidirectional):
            features = try recurrentFeatures(
                b, standardised, lengths,
                RecurrentStackWeights(
                    cell: cell, inputSize: C, hiddenSize: hidden, numLayers: layers, bidirectional: bidirectional,
                    stateDict: stateDict, prefix: "rnn"))
        case .lstmFCN(let hidden):
            let rnn = RecurrentStackWeights(
                cell: .lstm, inputSize: C, hiddenSize: hidden, numLayers: 1, bidirectional: false,
                stateDict: stateDict, prefix: "rnn")
            let recurrent = try recurrentFeatures(b, standardised, lengths, rnn)
            let convolutional = ConvolutionExport(b, state: state, standardised: standardised, lengths: lengths)
                .fcn(prefix: "")
            features = b.op(
                "Concat", [recurrent, convolutional], [ONNX.Attribute("axis", .int(1))],
                doc: "LSTM final state beside the convolutions' features (dropout is off in inference)")
        case .fcn:
            features = ConvolutionExport(b, state: state, standardised: standardised, lengths: lengths).fcn(prefix: "")
        case .resnet:
            features = ConvolutionExport(b, state: state, standardised: standardised, lengths: lengths).resnet()
        case .mlp(let hidden):
            var h = b.op("Flatten", [standardised], [ONNX.Attribute("axis", .int(1))], doc: "(batch, steps*channels)")
            for k in hidden.indices { h = b.op("Relu", [b.linear(h, "net.\(2 * k)", state)]) }
            features = h
        case .cnn1d:
            // Conv1D(5, padding 2) - ReLU - MaxPool(2), twice, over (B, C, T), then Flatten.
            var h = b.op("Transpose", [standardised], [ONNX.Attribute("perm", .ints([0, 2, 1]))])
            for k in [0, 3] { h = maxPool(b, b.op("Relu", [convolution(b, h, "net.\(k)", state, padding: 2)]), 1) }
            features = b.op("Flatten", [h], [ONNX.Attribute("axis", .int(1))])
        case .cnn2d(let height, let width):
            // The series as a one-channel image read row by row; Conv2D(3x3, padding 1) - ReLU -
            // MaxPool(2x2), twice, Flatten (dropout is off in inference).
            var h = b.op(
                "Reshape", [standardised, b.int64s([0, 1, Int64(height), Int64(width)])], doc: "(batch, 1, H, W)")
            for k in [0, 3] { h = maxPool(b, b.op("Relu", [convolution(b, h, "net.\(k)", state, padding: 1)]), 2) }
            features = b.op("Flatten", [h], [ONNX.Attribute("axis", .int(1))])
        case .miniRocket:
            throw ExportError(
                "architecture minirocket",
                "its features are proportions of positive values of thousands of dilated convolutions with fitted "
                    + "biases, which seqtool does not write as an ONNX graph yet")
        }
        let headPrefix: String
        switch architecture {
        case .mlp(let hidden): headPrefix = "net.\(2 * hidden.count)"
        case .cnn1d: headPrefix = "net.7"
        case .cnn2d: headPrefix = "net.8"
        default: headPrefix = "head"
        }
        return b.linear(features, headPrefix, state, output: output)
    }

    /// The last layer's final state (B, D*H) of `rnn` over every `subsample`-th step of
    /// `standardised` (B, T, C), each series ending at its own length.
    private func recurrentFeatures(
        _ b: GraphBuilder, _ standardised: String, _ lengths: String?, _ rnn: RecurrentStackWeights
    ) throws(ExportError) -> String {
        var x = standardised, stepLengths = lengths
        if subsample > 1 {
            let k = Int64(subsample)
            x = b.op(
                "Slice", [x, b.int64s([0]), b.int64s([Int64.max]), b.int64s([1]), b.int64s([k])],
                doc: "every \(k)-th step")
            if let lengths {
                stepLengths = b.op(
                    "Div", [b.op("Add", [lengths, b.int64s([k - 1])]), b.int64s([k])],
                    doc: "steps read: ceil(length / \(k))")
            }
        }
        let timeMajor = b.op(
            "Transpose", [x], [ONNX.Attribute("perm", .ints([1, 0, 2]))], doc: "(steps, batch, channels)")
        let sequenceLengths = stepLengths.map {
            b.op("Cast", [$0], [ONNX.Attribute("to", .int(ONNX.ElementType.int32.rawValue))])
        }
        let values = try emitRecurrentStack(
            b, rnn, prefix: "rnn", input: timeMajor, sequenceLengths: sequenceLengths, initialState: nil,
            needsOutput: false)
        // Y_h (D, B, H) of the last layer -> (B, D*H), forward direction first.
        let final = values.finalStates[0].last!
        return rnn.directions == 1
            ? b.op("Squeeze", [final, b.int64s([0])])
            : b.op(
                "Reshape",
                [b.op("Transpose", [final], [ONNX.Attribute("perm", .ints([1, 0, 2]))]), b.int64s([0, -1])],
                doc: "both directions' final states side by side")
    }
}

/// The graph inputs of a classifier: `x` (B, T, C) (T fixed when `length` is) and, when
/// `withLengths` and the length is not fixed, `lengths` (B).
func seriesInputs(_ b: GraphBuilder, channels C: Int, length: Int?, withLengths: Bool) -> (String, String?) {
    let takesLengths = withLengths && length == nil
    let steps: ONNX.Dimension = length.map { .fixed($0) } ?? .symbolic("steps")
    let x = b.input(
        ONNX.ValueInfo(
            "x", .float, [.symbolic("batch"), steps, .fixed(C)],
            docString: "Series (batch, steps, channels): raw values as in the data file, channel c of step t "
                + "at [b, t, c]; standardised inside the graph."
                + (takesLengths ? " Steps past a series' length are padding (any value)." : "")))
    let lengths =
        takesLengths
        ? b.input(
            ONNX.ValueInfo(
                "lengths", .int64, [.symbolic("batch")],
                docString: "Each series' own steps (batch), in 1...steps: the steps of x after it are padding."))
        : nil
    return (x, lengths)
}

/// The model of a classifier graph whose nodes end in `logits`: the output declared, the metadata.
func classifierModel(_ b: GraphBuilder, classCount K: Int, metadata: [String: String], name: String) -> ONNX.Model {
    b.output(
        ONNX.ValueInfo(
            "logits", .float, [.symbolic("batch"), .fixed(K)],
            docString: "Class logits (batch, classes), classes in the order of metadata class_names."))
    return ONNX.Model(graph: b.graph, docString: "seqtool classifier (\(name))", metadata: metadata)
}

/// Conv `prefix` of `state` (1-D or 2-D, as its weight's rank says) with `padding` on every side.
func convolution(_ b: GraphBuilder, _ x: String, _ prefix: String, _ state: [String: Tensor], padding: Int) -> String {
    let weight = state[prefix + ".weight"]!
    let kernel = Array(weight.shape.dropFirst(2))
    return b.op(
        "Conv", [x, b.weight(prefix + ".weight", weight), b.weight(prefix + ".bias", state[prefix + ".bias"]!)],
        [
            ONNX.Attribute("kernel_shape", .ints(kernel)),
            ONNX.Attribute("pads", .ints(Array(repeating: padding, count: 2 * kernel.count))),
        ], doc: "\(prefix): Conv (\(weight.shape[1]) -> \(weight.shape[0]), kernel \(kernel), padding \(padding))")
}

/// MaxPool of 2 steps (stride 2, the remainder dropped) over each of the last `axes` axes.
func maxPool(_ b: GraphBuilder, _ x: String, _ axes: Int) -> String {
    b.op(
        "MaxPool", [x],
        [
            ONNX.Attribute("kernel_shape", .ints(Array(repeating: 2, count: axes))),
            ONNX.Attribute("strides", .ints(Array(repeating: 2, count: axes))),
        ])
}

/// The convolutional classifiers' layers: Conv ("same" padding), BatchNormalization (running
/// statistics), ReLU, with steps past each series' length zeroed after every ReLU as seqtool
/// does, and the mean over each series' own steps.
struct ConvolutionExport {
    let b: GraphBuilder
    let state: [String: Tensor]
    /// (B, C, T), zero past each series' end.
    let input: String
    /// (B, 1, T) ones over each series' steps, nil when every series has all T.
    let mask: String?
    let lengths: String?

    init(_ b: GraphBuilder, state: [String: Tensor], standardised: String, lengths: String?) {
        (self.b, self.state, self.lengths) = (b, state, lengths)
        let channelMajor = b.op(
            "Transpose", [standardised], [ONNX.Attribute("perm", .ints([0, 2, 1]))], doc: "(batch, channels, steps)")
        guard let lengths else {
            (input, mask) = (channelMajor, nil)
            return
        }
        // mask[b, 0, t] = t < lengths[b]
        let T = b.op("Shape", [standardised], [ONNX.Attribute("start", .int(1)), ONNX.Attribute("end", .int(2))])
        let range = b.op("Range", [b.scalar(0, "zero"), b.op("Squeeze", [T, b.int64s([0])]), b.scalar(1, "one")])
        let less = b.op(
            "Less", [b.op("Unsqueeze", [range, b.int64s([0])]), b.op("Unsqueeze", [lengths, b.int64s([1])])])
        let mask = b.op(
            "Unsqueeze",
            [b.op("Cast", [less], [ONNX.Attribute("to", .int(ONNX.ElementType.float.rawValue))]), b.int64s([1])],
            doc: "(batch, 1, steps): 1 over each series' steps, 0 past its end")
        self.mask = mask
        input = b.op("Mul", [channelMajor, mask], doc: "padding zeroed, as seqtool pads")
    }

    /// x with the steps past each series' end zeroed (x itself without lengths).
    func masked(_ x: String) -> String { mask.map { b.op("Mul", [x, $0]) } ?? x }

    /// Conv1D `prefix` ("same" padding) then BatchNorm `normPrefix` in inference form.
    func convolution(_ x: String, _ prefix: String, _ normPrefix: String) -> String {
        let weight = state[prefix + ".weight"]!
        let k = weight.shape[2]
        let padding = samePadding(kernelSize: k)
        let conv = b.op(
            "Conv",
            [x, b.weight(prefix + ".weight", weight), b.weight(prefix + ".bias", state[prefix + ".bias"]!)],
            [
                ONNX.Attribute("kernel_shape", .ints([k])),
                ONNX.Attribute("pads", .ints([padding.before, padding.after])),
            ],
            doc: "\(prefix): Conv1D(\(weight.shape[1]) -> \(weight.shape[0]), kernel \(k), same padding)")
        return batchNorm(conv, normPrefix)
    }

    /// (B, C, T) -> (B, C): the mean over each series' own steps.
    func averagePool(_ x: String) -> String {
        guard let lengths else {
            return b.op("Squeeze", [b.op("GlobalAveragePool", [x]), b.int64s([2])], doc: "mean over the steps")
        }
        let sum = b.op("ReduceSum", [x, b.int64s([2])], [ONNX.Attribute("keepdims", .int(0))])
        let count = b.op(
            "Unsqueeze",
            [b.op("Cast", [lengths], [ONNX.Attribute("to", .int(ONNX.ElementType.float.rawValue))]), b.int64s([1])])
        return b.op("Div", [sum, count], doc: "mean over each series' own steps")
    }

    /// The FCN's three blocks and the pooling: (B, 128).
    func fcn(prefix: String) -> String {
        var x = input, k = 0
        while state["\(prefix)conv.\(k).weight"] != nil {
            x = masked(b.op("Relu", [convolution(x, "\(prefix)conv.\(k)", "\(prefix)norm.\(k)")]))
            k += 1
        }
        return averagePool(x)
    }

    /// ResNet's residual blocks and the pooling: (B, 128).
    func resnet() -> String {
        var x = input, block = 0
        while state["blocks.\(block).conv.0.weight"] != nil {
            let p = "blocks.\(block)"
            var y = x, k = 0
            while state["\(p).conv.\(k).weight"] != nil {
                y = convolution(y, "\(p).conv.\(k)", "\(p).norm.\(k)")
                k += 1
                if state["\(p).conv.\(k).weight"] != nil { y = masked(b.op("Relu", [y])) }
            }
            let shortcut =
                state["\(p).shortcut_conv.weight"] != nil
                ? convolution(x, "\(p).shortcut_conv", "\(p).shortcut_norm")
                : batchNorm(x, "\(p).shortcut_norm")
            x = masked(b.op("Relu", [b.op("Add", [y, shortcut])], doc: "\(p): residual sum"))
            block += 1
        }
        return averagePool(x)
    }

    /// BatchNorm `prefix` alone, in inference form.
    func batchNorm(_ x: String, _ prefix: String) -> String {
        b.op(
            "BatchNormalization",
            ["weight", "bias", "running_mean", "running_var"].reduce(into: [x]) { inputs, name in
                inputs.append(b.weight("\(prefix).\(name)", state["\(prefix).\(name)"]!))
            }, [ONNX.Attribute("epsilon", .float(1e-5))], doc: "\(prefix): BatchNorm1d, running statistics")
    }
}
