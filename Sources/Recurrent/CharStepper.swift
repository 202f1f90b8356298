import Feedforward
import SeqTensor

/// Batch-1 inference of a character model one token at a time, for sampling: no autodiff graph,
/// no allocation per step. Per layer and step it runs the input and recurrent projections and
/// the fused gate kernel; then one GEMV for the logits. The first layer's input projection is a
/// table lookup (the projection of every embedding row is computed once); for LSTM and RNN
/// layers above it, where the two projections are only summed, one GEMV with [W_ih | W_hh]
/// on [h_below; h] does both, streaming the weights once in long rows.
///
/// Memory: the first layer's projection table V*G*H floats, plus O(L*G*H) state.
public final class CharStepper {
    let model: CharLanguageModel
    let G: Int, H: Int, V: Int, L: Int
    /// (V, G*H): W_ih embed[v] + b_ih (+ b_hh except for GRU) for every token v.
    var firstLayerTable: Tensor
    /// Per layer: input bias (b_ih, plus b_hh except for GRU), h and c.
    var biases: [Tensor], hidden: [Tensor], cells: [Tensor]
    /// Per layer above the first (LSTM, RNN): [W_ih | W_hh], (G*H, 2H).
    var jointWeights: [Tensor?]
    var gates: Tensor, hiddenGates: Tensor, scratch: Tensor, joint: Tensor
    /// The logits after the last `step`.
    public private(set) var logits: Tensor

    public init(_ model: CharLanguageModel) {
        self.model = model
        let c = model.configuration
        G = c.cell.gateCount
        H = c.hidden
        V = c.vocabularySize
        L = c.layers
        biases = model.rnn.weights.map { layer in
            let w = layer[0]
            var b = w.biasIH?.value ?? Tensor(zeros: [c.cell.gateCount * c.hidden])
            if c.cell != .gru, let bhh = w.biasHH {
                let p = b.mutablePointer
                for j in 0..<b.count { p[j] += bhh.value.pointer[j] }
            }
            return b
        }
        firstLayerTable = Tensor(uninitialized: [V, G * H])
        let table = firstLayerTable.mutablePointer
        for v in 0..<V { (table + v * G * H).update(from: biases[0].pointer, count: G * H) }
        gemm(transposeB: true, m: V, n: G * H, k: c.embedding, model.embed.weight.value.pointer,
             model.rnn.weights[0][0].weightIH.value.pointer, beta: 1, table)
        let (layers, size) = (c.layers, c.hidden)
        hidden = (0..<layers).map { _ in Tensor(zeros: [size]) }
        cells = (0..<layers).map { _ in Tensor(zeros: [size]) }
        jointWeights = model.rnn.weights.enumerated().map { l, layer -> Tensor? in
            guard l > 0, c.cell != .gru else { return nil }
            let gh = c.cell.gateCount * c.hidden, h = c.hidden
            var w = Tensor(uninitialized: [gh, 2 * h])
            let wp = w.mutablePointer, ih = layer[0].weightIH.value.pointer, hh = layer[0].weightHH.value.pointer
            for r in 0..<gh {
                (wp + r * 2 * h).update(from: ih + r * h, count: h)
                (wp + r * 2 * h + h).update(from: hh + r * h, count: h)
            }
            return w
        }
        joint = Tensor(zeros: [2 * c.hidden])
        gates = Tensor(zeros: [G * H])
        hiddenGates = Tensor(zeros: [G * H])
        scratch = Tensor(zeros: [H])
        logits = Tensor(zeros: [V])
    }

    /// Back to the zero state.
    public func reset() {
        for l in 0..<L {
            hidden[l].mutablePointer.update(repeating: 0, count: H)
            cells[l].mutablePointer.update(repeating: 0, count: H)
        }
    }

    /// Feeds `token`; `logits` then holds the scores of the next token.
    public func step(_ token: Int) {
        let kind = model.configuration.cell
        let gp = gates.mutablePointer, hg = hiddenGates.mutablePointer, sp = scratch.mutablePointer, jp = joint.mutablePointer
        for l in 0..<L {
            let w = model.rnn.weights[l][0]
            let h = hidden[l].mutablePointer
            if l == 0 {
                gp.update(from: firstLayerTable.pointer + token * G * H, count: G * H)
            } else {
                gp.update(from: biases[l].pointer, count: G * H)
                if let wj = jointWeights[l] {
                    jp.update(from: hidden[l - 1].pointer, count: H)
                    (jp + H).update(from: h, count: H)
                    gemm(transposeB: true, m: 1, n: G * H, k: 2 * H, jp, wj.pointer, beta: 1, gp)
                } else {
                    gemm(transposeB: true, m: 1, n: G * H, k: H, hidden[l - 1].pointer, w.weightIH.value.pointer, beta: 1, gp)
                }
            }
            // Layers with a joint projection already added W_hh h.
            let recurrentDone = jointWeights[l] != nil
            switch kind {
            case .lstm:
                if !recurrentDone { gemm(transposeB: true, m: 1, n: G * H, k: H, h, w.weightHH.value.pointer, beta: 1, gp) }
                let c = cells[l].mutablePointer
                sp.update(from: c, count: H)
                GateKernels.lstmForward(gates: gp, cPrev: sp, c: c, h: h, rows: 1, hidden: H)
            case .gru:
                gemm(transposeB: true, m: 1, n: G * H, k: H, h, w.weightHH.value.pointer, beta: 0, hg)
                sp.update(from: h, count: H)
                GateKernels.gruForward(gx: gp, gh: hg, biasHH: w.biasHH?.value.pointer, hPrev: sp, h: h, rows: 1, hidden: H)
            case .rnnTanh, .rnnRelu:
                if !recurrentDone { gemm(transposeB: true, m: 1, n: G * H, k: H, h, w.weightHH.value.pointer, beta: 1, gp) }
                GateKernels.rnnForward(pre: gp, h: h, rows: 1, hidden: H, relu: kind == .rnnRelu)
            }
        }
        let lp = logits.mutablePointer
        if let b = model.head.bias { lp.update(from: b.value.pointer, count: V) } else { lp.update(repeating: 0, count: V) }
        gemm(transposeB: true, m: 1, n: V, k: H, hidden[L - 1].pointer, model.head.weight.value.pointer, beta: 1, lp)
    }
}
