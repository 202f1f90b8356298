import Feedforward
import Foundation
import Recurrent
import SeqTensor

/// How each fixture kind maps onto seqtool: build the module from `config`, load the given
/// parameters, run forward, backpropagate `sum(out.k * lossweight.k)`, and report every output
/// and gradient under the fixture's names. A registered cell's fixtures run by its name: kind
/// `lstm` is a layer of `CellKind.lstm`, `lstm_cell` one cell (see `recurrentKind`).
enum ParityKinds {
    /// `fusedKernels` false runs the recurrent layers' steps in autodiff operations instead of
    /// their fused kernels.
    static func compute(_ f: Fixture, fusedKernels: Bool = true) throws -> [String: Tensor] {
        if let (kind, isCell) = recurrentKind(f) {
            return isCell
                ? try cell(f, kind, fusedKernels: fusedKernels) : try recurrent(f, kind, fusedKernels: fusedKernels)
        }
        switch f.kind {
        case "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax": return try activation(f)
        case "linear": return try linearCase(f)
        case "conv1d", "conv2d": return try convolution(f)
        case "maxpool1d", "maxpool2d": return try maxPool(f)
        case "embedding": return try embeddingCase(f)
        case "batch_norm1d", "layer_norm", "adaptive_avg_pool1d": return try normalization(f)
        case "cross_entropy", "mse_loss", "bce_with_logits": return try loss(f)
        case "sgd", "adam", "adamw", "rmsprop", "adagrad": return try optimizer(f)
        case "clip_grad_norm": return try clipping(f)
        default: throw ParityError("\(f.name): unknown kind \"\(f.kind)\"")
        }
    }

    // MARK: harness

    /// Leaves named after fixture tensors: parameters get gradients, reported as `grad.<name>`.
    final class Leaves {
        var named: [(String, Variable)] = []
        let fixture: Fixture
        init(_ fixture: Fixture) { self.fixture = fixture }

        func leaf(_ name: String) throws -> Variable {
            let v = Parameter(try fixture.tensor(name), name: name)
            named.append((name, v))
            return v
        }

        func optionalLeaf(_ name: String) throws -> Variable? {
            fixture.tensors[name] == nil ? nil : try leaf(name)
        }
    }

    /// loss = sum over outputs of sum(out * lossweight); backward; collect outputs and gradients.
    static func finish(_ f: Fixture, _ leaves: Leaves, outputs: [(String, Variable)]) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        var terms: [Variable] = []
        for (name, out) in outputs {
            result["out.\(name)"] = out.value
            if let w = f.optionalTensor("lossweight.\(name)") {
                precondition(
                    w.count == out.value.count, "\(f.name): lossweight.\(name) shape \(w.shape) vs output \(out.shape)")
                terms.append((out * Variable(w.reshaped(out.shape))).sum())
            }
        }
        if !terms.isEmpty {
            let loss = terms.dropFirst().reduce(terms[0]) { $0 + $1 }
            result["loss"] = loss.value
            loss.backward()
        }
        for (name, v) in leaves.named {
            result["grad.\(name)"] = v.grad ?? Tensor(zeros: v.shape)
        }
        return result
    }

    // MARK: kinds

    static func activation(_ f: Fixture) throws -> [String: Tensor] {
        let leaves = Leaves(f)
        let x = try leaves.leaf("input")
        if f.kind == "softmax" || f.kind == "log_softmax" {
            let dim = try f.int("dim", default: -1)
            guard dim == -1 || dim == x.value.rank - 1 else {
                throw ParityError("\(f.name): softmax over dim \(dim) is not supported (last axis only)")
            }
        }
        let y: Variable
        switch f.kind {
        case "sigmoid": y = x.sigmoid()
        case "tanh": y = x.tanh()
        case "relu": y = x.relu()
        case "leaky_relu": y = x.leakyRelu(negativeSlope: try f.float("negative_slope", default: 0.01))
        case "softmax": y = x.softmax()
        default: y = x.logSoftmax()
        }
        return try finish(f, leaves, outputs: [("output", y)])
    }

    static func linearCase(_ f: Fixture) throws -> [String: Tensor] {
        let leaves = Leaves(f)
        let x = try leaves.leaf("input"), w = try leaves.leaf("weight"), b = try leaves.optionalLeaf("bias")
        let inF = w.shape[1], outF = w.shape[0]
        let lead = Array(x.shape.dropLast())
        let y = linear(x.reshaped([-1, inF]), weight: w, bias: b).reshaped(lead + [outF])
        return try finish(f, leaves, outputs: [("output", y)])
    }

    static func convolution(_ f: Fixture) throws -> [String: Tensor] {
        try f.require("padding_mode", in: ["zeros"])
        guard try f.int("groups", default: 1) == 1 else {
            throw ParityError("\(f.name): grouped convolution is not supported")
        }
        if f.config["padding"] is String { throw ParityError("\(f.name): string padding is not supported") }
        let leaves = Leaves(f)
        let x = try leaves.leaf("input"), w = try leaves.leaf("weight"), b = try leaves.optionalLeaf("bias")
        let y: Variable
        if f.kind == "conv1d" {
            let window = Window2D(
                kernel: (1, try f.int("kernel_size")), stride: (1, try f.int("stride", default: 1)),
                padding: (0, try f.int("padding", default: 0)), dilation: (1, try f.int("dilation", default: 1)))
            y = conv1d(x, weight: w, bias: b, window: window)
        } else {
            let window = Window2D(
                kernel: try f.pair("kernel_size"), stride: try f.pair("stride", default: 1),
                padding: try f.pair("padding", default: 0), dilation: try f.pair("dilation", default: 1))
            y = conv2d(x, weight: w, bias: b, window: window)
        }
        return try finish(f, leaves, outputs: [("output", y)])
    }

    static func maxPool(_ f: Fixture) throws -> [String: Tensor] {
        guard !f.bool("ceil_mode", default: false) else { throw ParityError("\(f.name): ceil_mode is not supported") }
        let leaves = Leaves(f)
        let x = try leaves.leaf("input")
        let y: Variable
        if f.kind == "maxpool1d" {
            let k = try f.int("kernel_size")
            let window = Window2D(
                kernel: (1, k), stride: (1, f.isSet("stride") ? try f.int("stride") : k),
                padding: (0, try f.int("padding", default: 0)), dilation: (1, try f.int("dilation", default: 1)))
            y = maxPool1d(x, window: window)
        } else {
            let k = try f.pair("kernel_size")
            let stride = f.isSet("stride") ? try f.pair("stride") : k
            let window = Window2D(
                kernel: k, stride: stride, padding: try f.pair("padding", default: 0),
                dilation: try f.pair("dilation", default: 1))
            y = maxPool2d(x, window: window)
        }
        return try finish(f, leaves, outputs: [("output", y)])
    }

    /// Batch norm (training or inference mode, running statistics reported after the forward),
    /// layer norm over the last axis, and global average pooling (output size 1).
    static func normalization(_ f: Fixture) throws -> [String: Tensor] {
        let leaves = Leaves(f)
        let x = try leaves.leaf("input")
        switch f.kind {
        case "batch_norm1d":
            guard f.bool("track_running_stats", default: true) else {
                throw ParityError("\(f.name): batch norm without running statistics is not supported")
            }
            let w = try leaves.optionalLeaf("weight"), b = try leaves.optionalLeaf("bias")
            let runningMean = Variable(try f.tensor("running_mean")), runningVar = Variable(try f.tensor("running_var"))
            let training = f.bool("training", default: true)
            let y = batchNorm(
                x, weight: w, bias: b, runningMean: runningMean, runningVar: runningVar, training: training,
                momentum: try f.float("momentum", default: 0.1), eps: try f.float("eps", default: 1e-5))
            let buffers = training ? [("running_mean", runningMean), ("running_var", runningVar)] : []
            return try finish(f, leaves, outputs: [("output", y)] + buffers)
        case "layer_norm":
            let w = try leaves.optionalLeaf("weight"), b = try leaves.optionalLeaf("bias")
            let y = layerNorm(x, weight: w, bias: b, eps: try f.float("eps", default: 1e-5))
            return try finish(f, leaves, outputs: [("output", y)])
        default:
            guard try f.int("output_size") == 1 else {
                throw ParityError("\(f.name): adaptive average pooling to more than one step is not supported")
            }
            let y = globalAveragePool1d(x)
            return try finish(f, leaves, outputs: [("output", y.reshaped([x.shape[0], x.shape[1], 1]))])
        }
    }

    static func embeddingCase(_ f: Fixture) throws -> [String: Tensor] {
        try f.require("max_norm", in: [])
        let leaves = Leaves(f)
        let w = try leaves.leaf("weight")
        let indices = try f.integers("input")
        let shape = f.tensors["input"]!.shape
        var padding: Int? = nil
        if let p = try? f.int("padding_idx") { padding = p < 0 ? p + w.shape[0] : p }
        let y = embedding(indices, shape: shape, weight: w, paddingIndex: padding)
        return try finish(f, leaves, outputs: [("output", y)])
    }

    static func loss(_ f: Fixture) throws -> [String: Tensor] {
        try f.require("reduction", in: ["mean", "sum"])
        let reduction: LossReduction = (f.config["reduction"] as? String) == "sum" ? .sum : .mean
        let leaves = Leaves(f)
        let x = try leaves.leaf("input")
        let y: Variable
        switch f.kind {
        case "cross_entropy":
            guard try f.float("label_smoothing", default: 0) == 0 else {
                throw ParityError("\(f.name): label_smoothing is not supported")
            }
            guard f.tensors["weight"] == nil else { throw ParityError("\(f.name): class weights are not supported") }
            let ignore = try f.int("ignore_index", default: -100)
            y = crossEntropy(logits: x, targets: try f.integers("target"), ignoreIndex: ignore, reduction: reduction)
        case "mse_loss":
            y = mseLoss(x, try leaves.leaf("target"), reduction: reduction)
        default:
            guard f.tensors["pos_weight"] == nil, f.tensors["weight"] == nil else {
                throw ParityError("\(f.name): weights are not supported")
            }
            y = binaryCrossEntropyWithLogits(x, try leaves.leaf("target"), reduction: reduction)
        }
        return try finish(f, leaves, outputs: [("output", y)])
    }

    /// The registered cell of a recurrent kind, by name: `<cell>` is a layer and `<cell>_cell` one
    /// cell; a `nonlinearity` in the config completes the name (`rnn` with `relu` is `rnn_relu`).
    /// Nil for the other kinds.
    static func recurrentKind(_ f: Fixture) -> (kind: CellKind, isCell: Bool)? {
        let isCell = f.kind.hasSuffix("_cell")
        var name = isCell ? String(f.kind.dropLast("_cell".count)) : f.kind
        if let nonlinearity = f.config["nonlinearity"] as? String { name += "_" + nonlinearity }
        return CellKind(name: name).map { ($0, isCell) }
    }

    static func recurrent(_ f: Fixture, _ kind: CellKind, fusedKernels: Bool) throws -> [String: Tensor] {
        guard try f.int("proj_size", default: 0) == 0 else {
            throw ParityError("\(f.name): proj_size is not supported")
        }
        guard try f.float("dropout", default: 0) == 0 else {
            throw ParityError("\(f.name): dropout makes the reference random")
        }
        let batchFirst = f.bool("batch_first", default: false)
        let layer = kind.makeLayer(
            inputSize: try f.int("input_size"), hiddenSize: try f.int("hidden_size"),
            numLayers: try f.int("num_layers", default: 1), bidirectional: f.bool("bidirectional", default: false),
            bias: f.bool("bias", default: true), batchFirst: batchFirst, random: RandomSource(seed: 0))
        layer.usesFusedKernels = fusedKernels
        let leaves = Leaves(f)
        try load(layer, leaves)
        var x = try leaves.leaf("input")
        // An unbatched input (T, I) is one sequence, whatever batch_first says.
        let unbatched = x.value.rank == 2
        if unbatched { x = x.reshaped(batchFirst ? [1] + x.shape : [x.shape[0], 1, x.shape[1]]) }
        let B = x.shape[batchFirst ? 0 : 1], T = x.shape[batchFirst ? 1 : 0]
        let stateShape = [layer.numLayers * layer.directions, B, layer.hiddenSize]
        let state = try initialState(f, leaves, names: kind.stateNames, suffix: "0", shape: stateShape)
        // Packed variable-length sequences: each sequence runs alone on its first lengths[b] steps.
        var lengths: [Int]?
        if f.tensors["lengths"] != nil {
            let given = try f.integers("lengths")
            guard given.count == B, given.allSatisfy({ $0 >= 1 && $0 <= T }) else {
                throw ParityError("\(f.name): lengths \(given) do not fit batch \(B) and T=\(T)")
            }
            lengths = given
        }
        layer.isTraining = false
        let (output, final) = layer(x, state: state.map(RecurrentState.init(parts:)), lengths: lengths)
        let out = unbatched ? output.reshaped([T, output.shape[2]]) : output
        return try finish(
            f, leaves,
            outputs: [("output", out)]
                + zip(kind.stateNames, final.parts).map { name, part in
                    ("\(name)_n", part.reshaped(f.tensors["out.\(name)_n"]?.shape ?? part.shape))
                })
    }

    /// One step of a cell, run as a sequence of one step through a layer of it: the fused kernels
    /// where the cell has them (unless `fusedKernels` is false), its step otherwise.
    static func cell(_ f: Fixture, _ kind: CellKind, fusedKernels: Bool) throws -> [String: Tensor] {
        let cell = kind.makeCell(
            inputSize: try f.int("input_size"), hiddenSize: try f.int("hidden_size"),
            bias: f.bool("bias", default: true), random: RandomSource(seed: 0))
        let leaves = Leaves(f)
        try load(cell, leaves)
        var x = try leaves.leaf("input")
        if x.value.rank == 1 { x = x.reshaped([1, x.shape[0]]) }
        let (B, H) = (x.shape[0], cell.hiddenSize)
        let state = try initialState(f, leaves, names: kind.stateNames, suffix: "0", shape: [1, B, H])
        let next = oneStep(cell, x.reshaped([1] + x.shape), state: state, fusedKernels: fusedKernels)
        return try finish(
            f, leaves,
            outputs: zip(kind.stateNames, next).map { name, part in
                ("\(name)1", part.reshaped(f.tensors["out.\(name)1"]?.shape ?? [B, H]))
            })
    }

    /// The state after one step of `cell` over x (1, B, I) from `state` (parts (1, B, H), or zero).
    static func oneStep<Cell: RecurrentCell>(
        _ cell: Cell, _ x: Variable, state: [Variable]?, fusedKernels: Bool
    ) -> [Variable] {
        let layer = RecurrentLayer(inputSize: cell.inputSize, random: RandomSource(seed: 0)) { _, _ in cell }
        layer.usesFusedKernels = fusedKernels
        return layer(x, state: state.map(Cell.State.init(parts:))).state.parts
    }

    /// Sets every parameter of `module` to the fixture's tensor of its name, as a leaf.
    static func load(_ module: any Module, _ leaves: Leaves) throws {
        for (name, p) in module.namedParameters {
            p.value = try leaves.fixture.tensor(name)
            leaves.named.append((name, p))
        }
    }

    /// The initial state's parts `<name><suffix>` (`h0`, `c0`) reshaped to `shape`; nil when the
    /// fixture has none (a zero state), an error when it has only some.
    static func initialState(
        _ f: Fixture, _ leaves: Leaves, names: [String], suffix: String, shape: [Int]
    ) throws -> [Variable]? {
        let given = names.filter { f.tensors[$0 + suffix] != nil }
        if given.isEmpty { return nil }
        guard given.count == names.count else {
            throw ParityError(
                "\(f.name): initial state \(given.map { $0 + suffix }) without the other parts of \(names)")
        }
        return try names.map { try leaves.leaf($0 + suffix).reshaped(shape) }
    }

    static func optimizer(_ f: Fixture) throws -> [String: Tensor] {
        let p = Parameter(try f.tensor("param.initial"), name: "param")
        let lr = try f.float("lr")
        let wd = try f.float("weight_decay", default: f.kind == "adamw" ? 0.01 : 0)
        let opt: Optimizer
        switch f.kind {
        case "sgd":
            opt = SGD(
                [p], learningRate: lr, momentum: try f.float("momentum", default: 0),
                dampening: try f.float("dampening", default: 0),
                weightDecay: wd, nesterov: f.bool("nesterov", default: false))
        case "adam", "adamw":
            let (b1, b2) = try f.floatPair("betas", default: (0.9, 0.999))
            opt = Adam(
                [p], learningRate: lr, beta1: b1, beta2: b2, epsilon: try f.float("eps", default: 1e-8),
                weightDecay: wd,
                decoupledWeightDecay: f.kind == "adamw", amsgrad: f.bool("amsgrad", default: false))
        case "rmsprop":
            opt = RMSprop(
                [p], learningRate: lr, alpha: try f.float("alpha", default: 0.99),
                epsilon: try f.float("eps", default: 1e-8),
                weightDecay: wd, momentum: try f.float("momentum", default: 0),
                centered: f.bool("centered", default: false))
        default:
            opt = Adagrad(
                [p], learningRate: lr, learningRateDecay: try f.float("lr_decay", default: 0), weightDecay: wd,
                initialAccumulator: try f.float("initial_accumulator_value", default: 0),
                epsilon: try f.float("eps", default: 1e-10))
        }
        // maximize negates the gradient before anything else, in every PyTorch optimizer.
        let sign: Float = f.bool("maximize", default: false) ? -1 : 1
        var result: [String: Tensor] = [:]
        let steps = try f.int("steps", default: 3)
        for k in 1...steps {
            var g = try f.tensor("grad.step\(k)")
            let gp = g.mutablePointer
            for i in 0..<g.count { gp[i] *= sign }
            p.grad = g
            opt.step()
            result["param.step\(k)"] = p.value
        }
        return result
    }

    static func clipping(_ f: Fixture) throws -> [String: Tensor] {
        var params: [Parameter] = []
        var k = 0
        while let g = f.optionalTensor("grads.\(k)") {
            let p = Parameter(Tensor(zeros: g.shape))
            p.grad = g
            params.append(p)
            k += 1
        }
        let normType: Float =
            (f.config["norm_type"] as? String) == "inf" ? .infinity : try f.float("norm_type", default: 2)
        let total = clipGradientNorm(params, maxNorm: try f.float("max_norm"), normType: normType)
        var result: [String: Tensor] = ["out.total_norm": Tensor(scalar: total)]
        for (i, p) in params.enumerated() { result["out.clipped.\(i)"] = p.grad! }
        return result
    }
}
