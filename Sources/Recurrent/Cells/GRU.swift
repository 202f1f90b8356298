import CKernels
import Feedforward
import SeqTensor

/// A stack of GRU layers, PyTorch's `nn.GRU`: input (T, B, I) (batch-first (B, T, I)) -> output
/// (T, B, D*H) and final state h (L*D, B, H). See `RecurrentLayer`.
public typealias GRU = RecurrentLayer<GRUCell>

extension RecurrentLayer where Cell == GRUCell {
    /// `nn.GRU(inputSize, hiddenSize, numLayers, bias, batch_first, dropout, bidirectional)`.
    /// - Parameters:
    ///   - inputSize: features per step of the input (I).
    ///   - hiddenSize: hidden units per layer and direction (H).
    ///   - numLayers: stacked layers (L); each above the first reads the one below's output.
    ///   - bias: whether the layers have b_ih and b_hh.
    ///   - batchFirst: input and output (B, T, features) instead of (T, B, features).
    ///   - dropout: dropout on the outputs of every layer but the last, in training mode.
    ///   - bidirectional: whether each layer also runs right to left (D = 2), its output
    ///     concatenated with the forward one's.
    ///   - random: the source the weights are drawn from (uniform in ±1/sqrt(H), as PyTorch does).
    public convenience init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Float = 0, bidirectional: Bool = false, random: RandomSource
    ) {
        self.init(
            inputSize: inputSize, numLayers: numLayers, batchFirst: batchFirst, dropout: dropout,
            bidirectional: bidirectional, random: random
        ) { inputSize, random in
            GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, random: random)
        }
    }
}

extension CellKind {
    /// The GRU (`GRUCell`).
    public static let gru = CellKind { GRUCell($0, random: $1) }
}

/// One step of the GRU, PyTorch's `nn.GRUCell`: input (B, I) and state h (B, H) -> the next h,
/// with parameters `weight_ih` (3H, I), `weight_hh` (3H, H), `bias_ih` and `bias_hh` (3H), gates
/// in PyTorch's order r, z, n. Its step is the equations of `GRUKernels` in autodiff operations;
/// a layer of it runs the fused kernels.
public final class GRUCell: GatedCell {
    public typealias State = HiddenState
    public static var gateCount: Int { 3 }
    /// W_ih, W_hh and the biases.
    public let weights: RecurrentWeights

    /// `nn.GRUCell(inputSize, hiddenSize, bias)`, drawn from `random` (uniform in ±1/sqrt(H)).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, random: RandomSource) {
        weights = RecurrentWeights(
            gates: Self.gateCount, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, random: random)
    }

    /// The cell of `options` (it has no forget gate: `forgetGateBias` does not apply).
    public convenience init(_ options: CellOptions, random: RandomSource) {
        self.init(inputSize: options.inputSize, hiddenSize: options.hiddenSize, bias: options.bias, random: random)
    }

    public var name: String { "gru" }
    public var fusedKernels: FusedKernels? { FusedKernels(GRUKernels(), weights: weights) }

    public func callAsFunction(_ x: Variable, state: HiddenState) -> HiddenState {
        let h = state.h
        let (xr, hr) = weights.gateBlock(0, of: 3, x: x, h: h)
        let (xz, hz) = weights.gateBlock(1, of: 3, x: x, h: h)
        let (xn, hn) = weights.gateBlock(2, of: 3, x: x, h: h)
        let r = (xr + hr).sigmoid(), z = (xz + hz).sigmoid()
        let n = (xn + r * hn).tanh()
        return HiddenState(h: n + z * (h - n))  // (1 - z) n + z h
    }
}

/// The GRU cell (Cho et al. 2014, PyTorch's variant and gate order r, z, n):
///
///     r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      reset gate
///     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)      update gate
///     n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   candidate
///     h' = (1 - z) * n + z * h
///
/// The reset gate multiplies W_hn h + b_hn, so the recurrent projection stays apart from the
/// input one. Forward keeps the activated [r z n] and hn = W_hn h + b_hn for backward:
///
///     dn = dh' (1 - z)(1 - n^2),  dz = dh' (h - n) z (1 - z),  dr = dn hn r (1 - r)
///     input side [dr dz dn], recurrent side [dr dz dn * r],  dh = dh' z + (recurrent side) W_hh
///
/// With AVX2 or AVX-512 the C twins in `CKernels/GateKernels.h` run (8 or 16 lanes, bit-identical results).
public struct GRUKernels: CellKernels {
    /// The cell's kernels (they hold no state).
    public init() {}

    public var gateCount: Int { 3 }
    public var hasCellState: Bool { false }
    public var keepsRecurrentProjection: Bool { true }

    public func forward(_ step: CellStep) {
        let gh = step.recurrentProjection!
        step.recurrentWeights.multiply(m: step.rows, step.hPrev, beta: 0, gh, threads: step.threads)
        Self.forward(
            gx: step.gates, gh: gh, biasHH: step.recurrentBias, hPrev: step.hPrev, h: step.h, rows: step.rows,
            hidden: step.hidden, saveGates: true)
    }

    public func backward(_ step: CellGradientStep) {
        let isa = InstructionSet.current
        if isa != .portable {
            st_gru_backward(
                isa.kernelCode, step.gates, step.recurrentProjection, step.hPrev, step.dh, step.dGates,
                step.dRecurrentProjection, step.dhPrev, step.rows, step.hidden)
            return
        }
        Self.backwardPortable(
            gates: step.gates, recurrentProjection: step.recurrentProjection!, hPrev: step.hPrev, dh: step.dh,
            dGates: step.dGates, dRecurrentProjection: step.dRecurrentProjection!, dhPrev: step.dhPrev,
            rows: step.rows, hidden: step.hidden)
    }

    static func backwardPortable(
        gates: UnsafePointer<Float>, recurrentProjection: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
        dh: UnsafePointer<Float>, dGates: UnsafeMutablePointer<Float>,
        dRecurrentProjection: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        let g3 = 3 * hidden
        for b in 0..<rows {
            let gr = gates + b * g3, hr = recurrentProjection + b * g3
            let dx = dGates + b * g3, dhh = dRecurrentProjection + b * g3, o = b * hidden
            var j = 0
            while j < hidden {
                let r = Lanes.load(gr, j, hidden), z = Lanes.load(gr + hidden, j, hidden),
                    n = Lanes.load(gr + 2 * hidden, j, hidden)
                let hn = Lanes.load(hr + 2 * hidden, j, hidden)
                let dhv = Lanes.load(dh + o, j, hidden), hp = Lanes.load(hPrev + o, j, hidden)
                let dn = dhv * (1 - z) * (1 - n * n)
                let dz = dhv * (hp - n) * z * (1 - z)
                let dr = dn * hn * r * (1 - r)
                Lanes.store(dr, dx, j, hidden)
                Lanes.store(dz, dx + hidden, j, hidden)
                Lanes.store(dn, dx + 2 * hidden, j, hidden)
                Lanes.store(dr, dhh, j, hidden)
                Lanes.store(dz, dhh + hidden, j, hidden)
                Lanes.store(dn * r, dhh + 2 * hidden, j, hidden)
                Lanes.store(dhv * z, dhPrev + o, j, hidden)
                j += 8
            }
        }
    }

    /// dh_{t-1} = dh' z (written by `backward`) + [dr dz dn*r] W_hh.
    public func backwardThroughRecurrentWeights(_ step: CellGradientStep) {
        step.recurrentWeights.multiply(
            m: step.rows, step.dRecurrentProjection!, beta: 1, step.dhPrev, threads: step.threads)
    }

    public func infer(_ step: CellInferenceStep) {
        Self.forward(
            gx: step.input, gh: step.recurrent, biasHH: step.recurrentBias, hPrev: step.hPrev, h: step.h, rows: 1,
            hidden: step.units, saveGates: false)
    }

    /// gx (rows, 3H): W_ih x + b_ih; gh (rows, 3H): W_hh h (no bias). With `saveGates`, writes
    /// the activated [r z n] into gx and hn = W_hn h + b_hn into gh's n block (backward needs
    /// it); without (inference) gx and gh are only read.
    static func forward(
        gx: UnsafeMutablePointer<Float>, gh: UnsafeMutablePointer<Float>, biasHH: UnsafePointer<Float>?,
        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int, saveGates: Bool
    ) {
        let isa = InstructionSet.current
        if isa != .portable {
            st_gru_forward(isa.kernelCode, gx, gh, biasHH, hPrev, h, rows, hidden, saveGates ? 1 : 0)
            return
        }
        forwardPortable(
            gx: gx, gh: gh, biasHH: biasHH, hPrev: hPrev, h: h, rows: rows, hidden: hidden, saveGates: saveGates)
    }

    static func forwardPortable(
        gx: UnsafeMutablePointer<Float>, gh: UnsafeMutablePointer<Float>, biasHH: UnsafePointer<Float>?,
        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, hidden: Int, saveGates: Bool
    ) {
        let g3 = 3 * hidden
        for b in 0..<rows {
            let xr = gx + b * g3, hr = gh + b * g3, o = b * hidden
            var j = 0
            while j < hidden {
                var br = SIMD8<Float>(repeating: 0), bz = br, bn = br
                if let biasHH {
                    br = Lanes.load(biasHH, j, hidden)
                    bz = Lanes.load(biasHH + hidden, j, hidden)
                    bn = Lanes.load(biasHH + 2 * hidden, j, hidden)
                }
                let r = VectorMath.sigmoid(Lanes.load(xr, j, hidden) + Lanes.load(hr, j, hidden) + br)
                let z = VectorMath.sigmoid(Lanes.load(xr + hidden, j, hidden) + Lanes.load(hr + hidden, j, hidden) + bz)
                let hn = Lanes.load(hr + 2 * hidden, j, hidden) + bn
                let n = VectorMath.tanh(Lanes.load(xr + 2 * hidden, j, hidden) + r * hn)
                if saveGates {
                    Lanes.store(r, xr, j, hidden)
                    Lanes.store(z, xr + hidden, j, hidden)
                    Lanes.store(n, xr + 2 * hidden, j, hidden)
                    Lanes.store(hn, hr + 2 * hidden, j, hidden)
                }
                Lanes.store((1 - z) * n + z * Lanes.load(hPrev + o, j, hidden), h + o, j, hidden)
                j += 8
            }
        }
    }
}
