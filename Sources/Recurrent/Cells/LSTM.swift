import CKernels
import Feedforward
import SeqTensor

/// A stack of LSTM layers, PyTorch's `nn.LSTM`: input (T, B, I) (batch-first (B, T, I)) ->
/// output (T, B, D*H) and final state h, c (L*D, B, H). See `RecurrentLayer`.
public typealias LSTM = RecurrentLayer<LSTMCell>

extension RecurrentLayer where Cell == LSTMCell {
    /// `nn.LSTM(inputSize, hiddenSize, numLayers, bias, batch_first, dropout, bidirectional)`.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - bias: whether the layers have b_ih and b_hh.
    ///   - batchFirst: input and output (B, T, features) instead of (T, B, features).
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - forgetGateBias: the forget gate's starting bias (b_ih's forget block is set to it and
    ///     b_hh's to 0, since the gate sees their sum), e.g. 1 so that a fresh LSTM remembers by
    ///     default; random like the others when nil.
    ///   - random: the source the weights are drawn from (uniform in ±1/sqrt(H), as PyTorch does).
    public convenience init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Float = 0, bidirectional: Bool = false, forgetGateBias: Float? = nil, random: RandomSource
    ) {
        self.init(
            inputSize: inputSize, numLayers: numLayers, batchFirst: batchFirst, dropout: dropout,
            bidirectional: bidirectional, random: random
        ) { inputSize, random in
            LSTMCell(
                inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, forgetGateBias: forgetGateBias, random: random
            )
        }
    }
}

extension CellKind {
    /// The LSTM (`LSTMCell`).
    public static let lstm = CellKind { LSTMCell($0, random: $1) }
}

/// One step of the LSTM, PyTorch's `nn.LSTMCell`: input (B, I) and state (h, c) (B, H) -> the
/// next state, with parameters `weight_ih` (4H, I), `weight_hh` (4H, H), `bias_ih` and `bias_hh`
/// (4H), gates in PyTorch's order i, f, g, o. Its step is the equations of `LSTMKernels` in
/// autodiff operations; a layer of it runs the fused kernels.
public final class LSTMCell: GatedCell {
    public typealias State = LSTMState
    public static var gateCount: Int { 4 }
    /// W_ih, W_hh and the biases.
    public let weights: RecurrentWeights

    /// `nn.LSTMCell(inputSize, hiddenSize, bias)`, drawn from `random` (uniform in ±1/sqrt(H));
    /// `forgetGateBias` as in `LSTM`.
    public init(
        inputSize: Int, hiddenSize: Int, bias: Bool = true, forgetGateBias: Float? = nil, random: RandomSource
    ) {
        weights = RecurrentWeights(
            gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, random: random)
        if let forgetGateBias { weights.setGateBias(1, to: forgetGateBias) }
    }

    /// The cell of `options`.
    public convenience init(_ options: CellOptions, random: RandomSource) {
        self.init(
            inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias,
            forgetGateBias: options.forgetGateBias, random: random)
    }

    public var name: String { "lstm" }
    public var fusedKernels: FusedKernels? { FusedKernels(LSTMKernels(), weights: weights) }

    public func callAsFunction(_ x: Variable, state: LSTMState) -> LSTMState {
        func gate(_ k: Int) -> Variable {
            let (input, recurrent) = weights.gateBlock(k, of: 4, x: x, h: state.h)
            return input + recurrent
        }
        let i = gate(0).sigmoid(), f = gate(1).sigmoid(), g = gate(2).tanh(), o = gate(3).sigmoid()
        let c = f * state.c + i * g
        return LSTMState(h: o * c.tanh(), c: c)
    }
}

/// The LSTM cell (Hochreiter and Schmidhuber 1997, with PyTorch's gate order i, f, g, o):
///
///     i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      input gate
///     f = sigmoid(W_if x + b_if + W_hf h + b_hf)      forget gate
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)         cell candidate
///     o = sigmoid(W_io x + b_io + W_ho h + b_ho)      output gate
///     c' = f * c + i * g
///     h' = o * tanh(c')
///
/// The forward step keeps the activated gates (and the layer keeps every c) for backward:
///
///     dc_total = dc' + dh' o (1 - tanh^2 c')
///     di = dc_total g i (1 - i),  df = dc_total c f (1 - f),  dg = dc_total i (1 - g^2),
///     do = dh' tanh(c') o (1 - o),  dc = dc_total f
///
/// With AVX2 or AVX-512 the C twins in `CKernels/GateKernels.h` run (8 or 16 lanes, bit-identical results).
public struct LSTMKernels: CellKernels {
    /// The cell's kernels (they hold no state).
    public init() {}

    public var gateCount: Int { 4 }
    public var hasCellState: Bool { true }
    public var keepsRecurrentProjection: Bool { false }

    public func forward(_ step: CellStep) {
        step.recurrentWeights.multiply(m: step.rows, step.hPrev, beta: 1, step.gates, threads: step.threads)
        Self.forward(gates: step.gates, cPrev: step.cPrev!, c: step.c!, h: step.h, rows: step.rows, hidden: step.hidden)
    }

    public func backward(_ step: CellGradientStep) {
        let (rows, hidden, isa) = (step.rows, step.hidden, InstructionSet.current)
        if isa != .portable {
            st_lstm_backward(
                isa.kernelCode, step.gates, step.c, step.cPrev, step.dh, step.dc, step.dGates, step.dcPrev, rows, hidden
            )
            return
        }
        Self.backwardPortable(
            gates: step.gates, c: step.c!, cPrev: step.cPrev!, dh: step.dh, dc: step.dc!, dGates: step.dGates,
            dcPrev: step.dcPrev!, rows: rows, hidden: hidden)
    }

    public func infer(_ step: CellInferenceStep) {
        let n = step.units
        for j in 0..<(4 * n) { step.gates[j] = step.input[j] + step.recurrent[j] }
        step.cScratch!.update(from: step.c!, count: n)
        Self.forward(gates: step.gates, cPrev: step.cScratch!, c: step.c!, h: step.h, rows: 1, hidden: n)
    }

    /// gates (rows, 4H) holds the pre-activations [i f g o] and becomes the activated gates.
    static func forward(
        gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        let isa = InstructionSet.current
        if isa != .portable {
            st_lstm_forward(isa.kernelCode, gates, cPrev, c, h, rows, hidden)
            return
        }
        forwardPortable(gates: gates, cPrev: cPrev, c: c, h: h, rows: rows, hidden: hidden)
    }

    static func forwardPortable(
        gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        for b in 0..<rows {
            let gr = gates + b * 4 * hidden, o = b * hidden
            var j = 0
            while j < hidden {
                let i = VectorMath.sigmoid(Lanes.load(gr, j, hidden))
                let f = VectorMath.sigmoid(Lanes.load(gr + hidden, j, hidden))
                let g = VectorMath.tanh(Lanes.load(gr + 2 * hidden, j, hidden))
                let og = VectorMath.sigmoid(Lanes.load(gr + 3 * hidden, j, hidden))
                let cNew = f * Lanes.load(cPrev + o, j, hidden) + i * g
                Lanes.store(i, gr, j, hidden)
                Lanes.store(f, gr + hidden, j, hidden)
                Lanes.store(g, gr + 2 * hidden, j, hidden)
                Lanes.store(og, gr + 3 * hidden, j, hidden)
                Lanes.store(cNew, c + o, j, hidden)
                Lanes.store(og * VectorMath.tanh(cNew), h + o, j, hidden)
                j += 8
            }
        }
    }

    static func backwardPortable(
        gates: UnsafePointer<Float>, c: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, dh: UnsafePointer<Float>,
        dc: UnsafePointer<Float>, dGates: UnsafeMutablePointer<Float>, dcPrev: UnsafeMutablePointer<Float>,
        rows: Int, hidden: Int
    ) {
        for b in 0..<rows {
            let gr = gates + b * 4 * hidden, dg = dGates + b * 4 * hidden, o = b * hidden
            var j = 0
            while j < hidden {
                let i = Lanes.load(gr, j, hidden), f = Lanes.load(gr + hidden, j, hidden)
                let g = Lanes.load(gr + 2 * hidden, j, hidden), og = Lanes.load(gr + 3 * hidden, j, hidden)
                let tc = VectorMath.tanh(Lanes.load(c + o, j, hidden))
                let dhv = Lanes.load(dh + o, j, hidden)
                let dct = Lanes.load(dc + o, j, hidden) + dhv * og * (1 - tc * tc)
                Lanes.store(dct * g * i * (1 - i), dg, j, hidden)
                Lanes.store(dct * Lanes.load(cPrev + o, j, hidden) * f * (1 - f), dg + hidden, j, hidden)
                Lanes.store(dct * i * (1 - g * g), dg + 2 * hidden, j, hidden)
                Lanes.store(dhv * tc * og * (1 - og), dg + 3 * hidden, j, hidden)
                Lanes.store(dct * f, dcPrev + o, j, hidden)
                j += 8
            }
        }
    }
}
