import CKernels
import SeqTensor

/// The cell a recurrent layer unrolls.
public enum CellKind: String, Sendable, CaseIterable {
    case lstm
    case gru
    case rnnTanh = "rnn_tanh"
    case rnnRelu = "rnn_relu"

    /// Gate blocks stacked in the weights: LSTM 4 (i f g o), GRU 3 (r z n), RNN 1.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnnTanh, .rnnRelu: 1
        }
    }

    /// Whether the cell carries a cell state c beside h.
    public var hasCellState: Bool { self == .lstm }
}

/// The four parameters of one layer and direction, PyTorch's `weight_ih`, `weight_hh`,
/// `bias_ih`, `bias_hh`: W_ih (G*H, I), W_hh (G*H, H), biases (G*H).
public struct RecurrentWeights {
    public let weightIH: Variable
    public let weightHH: Variable
    public let biasIH: Variable?
    public let biasHH: Variable?

    public init(weightIH: Variable, weightHH: Variable, biasIH: Variable?, biasHH: Variable?) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }

    var all: [Variable?] { [weightIH, weightHH, biasIH, biasHH] }

    /// The bias of the input pre-activations (G*H values): b_ih, plus b_hh for LSTM and RNN. The
    /// GRU keeps b_hh out, because its n block sits inside the reset gate's product.
    func inputBias(_ kind: CellKind) -> Tensor {
        var bias = biasIH?.value ?? Tensor(zeros: [weightHH.shape[0]])
        if kind != .gru, let b = biasHH {
            let bp = bias.mutablePointer, q = b.value.pointer
            for j in 0..<bias.count { bp[j] += q[j] }
        }
        return bias
    }
}

/// One direction of one recurrent layer over a whole sequence, as a single autodiff operation.
///
/// input (T, B, I) -> output (T, B, H), final h (B, H) and, for LSTM, final c (B, H).
///
/// Forward: the input projections X W_ih^T + b (one GEMM for all T steps on OpenBLAS, step by
/// step with the native GEMM; a table lookup for `.tokens`); then per step one GEMM adds
/// h_{t-1} W_hh^T and one fused kernel applies the gates. The batch rows are split over the
/// threads, each running the whole sequence for its rows. Backward (BPTT): per step one fused
/// gate-backward kernel and one GEMM for dh_{t-1} = dGates W_hh; at the end one GEMM each sums
/// dW_ih = dGates^T X and dW_hh = dGates^T H_prev over all steps, and one gives dX = dGates W_ih.
///
/// `reverse` runs t = T-1 ... 0; output[t] is still the state after consuming input[t].
/// `lengths` (B values in 1...T) make a variable-length batch: at t >= lengths[b] sequence b
/// keeps its state, its output is zero, and no gradient flows through those steps.
///
/// Memory: gates T*B*G*H floats, states (T+1)*B*H (twice for LSTM), GRU also T*B*3H for the
/// hidden projections; backward adds the same again for the gate gradients.
public func recurrentSequence(
    _ kind: CellKind, input: Variable, weights: RecurrentWeights,
    h0: Variable? = nil, c0: Variable? = nil, reverse: Bool = false, lengths: [Int]? = nil
) -> (output: Variable, h: Variable, c: Variable?) {
    recurrentSequence(kind, .features(input), weights: weights, h0: h0, c0: c0, reverse: reverse, lengths: lengths)
}

/// What the first GEMM of a recurrent layer-direction reads.
public enum RecurrentInput {
    /// Features (T, B, I), projected inside by W_ih with the biases.
    case features(Variable)
    /// Token ids (T*B, time-major) and a table (V, G*H) of their input projections: an embedding
    /// E followed by W_ih is a lookup in E W_ih^T + b, built once per batch (V rows) instead of
    /// projecting all T*B embedded tokens (and in backward no dW_ih and dX GEMMs over T*B rows:
    /// the gate gradients are summed per token into the table's gradient). The table holds b_ih,
    /// and for LSTM and RNN b_hh as well; the GRU keeps b_hh inside its n gate.
    case tokens([Int], steps: Int, batch: Int, table: Variable)
}

/// `recurrentSequence` over features or over tokens through a projection table.
public func recurrentSequence(
    _ kind: CellKind, _ source: RecurrentInput, weights: RecurrentWeights,
    h0: Variable? = nil, c0: Variable? = nil, reverse: Bool = false, lengths: [Int]? = nil
) -> (output: Variable, h: Variable, c: Variable?) {
    let T: Int, B: Int
    let GH = weights.weightHH.shape[0], H = weights.weightHH.shape[1]
    switch source {
    case .features(let input):
        precondition(input.value.rank == 3, "recurrent: input must be (T, B, I), got \(input.shape)")
        (T, B) = (input.shape[0], input.shape[1])
        precondition(weights.weightIH.shape == [GH, input.shape[2]],
                     "recurrent: weight_ih \(weights.weightIH.shape) does not match input \(input.shape) and H=\(H)")
    case .tokens(let ids, let steps, let batch, let table):
        (T, B) = (steps, batch)
        precondition(ids.count == T * B, "recurrent: \(ids.count) tokens for T=\(T), B=\(B)")
        precondition(table.value.rank == 2 && table.shape[1] == GH, "recurrent: table \(table.shape) is not (V, \(GH))")
        precondition(ids.allSatisfy { $0 >= 0 && $0 < table.shape[0] }, "recurrent: token outside 0..<\(table.shape[0])")
    }
    precondition(GH == kind.gateCount * H, "recurrent: weight_hh \(weights.weightHH.shape) is not (\(kind.gateCount)*H, H)")
    if let h0 { precondition(h0.shape == [B, H], "recurrent: h0 \(h0.shape), expected [\(B), \(H)]") }
    if let c0 { precondition(c0.shape == [B, H], "recurrent: c0 \(c0.shape), expected [\(B), \(H)]") }
    if let lengths {
        precondition(lengths.count == B && lengths.allSatisfy { $0 >= 0 && $0 <= T },
                     "recurrent: lengths \(lengths) for batch \(B) and T=\(T)")
    }
    let BH = B * H, BGH = B * GH
    let isGRU = kind == .gru, isLSTM = kind == .lstm, relu = kind == .rnnRelu

    // Rows of the batch never meet inside the recurrence, so each thread runs the whole sequence
    // for its own rows: no synchronisation per step, and the gate kernels run in parallel too.
    let rowThreads = Parallel.rowThreads(rows: B, work: T * B * GH * H)
    let gemmThreads = rowThreads == 1 ? BLASThreads.current : 1

    var gates = Tensor(uninitialized: [T, B, GH])
    let gp = gates.mutablePointer
    // The input projections W_ih x_t + b (`inputBias`). With the native GEMM each thread
    // projects its own rows step by step, so the gate rows it then reads are fresh in its own
    // core's cache; with OpenBLAS one GEMM does all steps.
    var stepInput: (x: UnsafePointer<Float>, I: Int, weights: PackedMatrix, bias: Tensor)? = nil
    var tokenTable: (ids: [Int], rows: UnsafePointer<Float>)? = nil
    switch source {
    case .features(let input):
        let bias = weights.inputBias(kind)
        let I = input.shape[2], x = input.value.pointer, w = weights.weightIH.value.pointer
        if GemmBackend.current == .native {
            stepInput = (x, I, PackedMatrix(transposed: true, k: I, n: GH, w), bias)
        } else {
            bias.withUnsafeBufferPointer { gemm(transposeB: true, m: T * B, n: GH, k: I, x, w, bias: $0.baseAddress, gp) }
        }
    case .tokens(let ids, _, _, let table):
        // Copied step by step in the loop below, from the table while it sits in cache.
        tokenTable = (ids, table.value.pointer)
    }

    // States by time: forward S[0] = h0, S[t+1] after input t; reverse S[T] = h0, S[t] after input t.
    var states = Tensor(uninitialized: [T + 1, B, H])
    var cells = Tensor(uninitialized: isLSTM ? [T + 1, B, H] : [0])
    var hiddenProjections = Tensor(uninitialized: isGRU ? [T, B, GH] : [0])
    let sp = states.mutablePointer, cp = cells.mutablePointer, hp = hiddenProjections.mutablePointer
    let initial = reverse ? T : 0
    if let h0 { (sp + initial * BH).update(from: h0.value.pointer, count: BH) } else { (sp + initial * BH).initialize(repeating: 0, count: BH) }
    if isLSTM {
        if let c0 { (cp + initial * BH).update(from: c0.value.pointer, count: BH) } else { (cp + initial * BH).initialize(repeating: 0, count: BH) }
    }
    // W_hh^T multiplies the state at every step: pack it for the GEMM kernel once.
    let stepWeights = PackedMatrix(transposed: true, k: H, n: GH, weights.weightHH.value.pointer)
    let biasHH = weights.biasHH?.value.pointer

    /// Calls `body` with each row of `rows` whose sequence has ended by step t (no allocation).
    func forEachFinished(_ t: Int, _ rows: Range<Int>, _ body: (Int) -> Void) {
        guard let lengths else { return }
        for b in rows where t >= lengths[b] { body(b) }
    }

    Parallel.forEach(rowThreads) { part, parts in
        let rows = Parallel.range(of: B, part: part, of: parts)
        let r0 = rows.lowerBound, n = rows.count
        for s in 0..<T {
            let t = reverse ? T - 1 - s : s
            let prev = reverse ? t + 1 : t, cur = reverse ? t : t + 1
            let hPrev = sp + prev * BH + r0 * H, hCur = sp + cur * BH + r0 * H
            let g = gp + t * BGH + r0 * GH
            if let (ids, table) = tokenTable {
                for b in rows { (gp + (t * B + b) * GH).update(from: table + ids[t * B + b] * GH, count: GH) }
            } else if let (x, I, inputWeights, bias) = stepInput {
                inputWeights.multiply(m: n, x + (t * B + r0) * I, bias: bias.pointer, g, threads: gemmThreads)
            }
            switch kind {
            case .lstm:
                stepWeights.multiply(m: n, hPrev, beta: 1, g, threads: gemmThreads)
                GateKernels.lstmForward(gates: g, cPrev: cp + prev * BH + r0 * H, c: cp + cur * BH + r0 * H,
                                        h: hCur, rows: n, hidden: H)
            case .gru:
                let gh = hp + t * BGH + r0 * GH
                stepWeights.multiply(m: n, hPrev, beta: 0, gh, threads: gemmThreads)
                GateKernels.gruForward(gx: g, gh: gh, biasHH: biasHH, hPrev: hPrev, h: hCur, rows: n, hidden: H)
            case .rnnTanh, .rnnRelu:
                stepWeights.multiply(m: n, hPrev, beta: 1, g, threads: gemmThreads)
                GateKernels.rnnForward(pre: g, h: hCur, rows: n, hidden: H, relu: relu)
            }
            forEachFinished(t, rows) { b in
                (sp + cur * BH + b * H).update(from: sp + prev * BH + b * H, count: H)
                if isLSTM { (cp + cur * BH + b * H).update(from: cp + prev * BH + b * H, count: H) }
            }
        }
    }

    let outputStart = reverse ? 0 : 1
    var outputValue = Tensor(uninitialized: [T, B, H])
    let op = outputValue.mutablePointer
    op.update(from: sp + outputStart * BH, count: T * BH)
    for t in 0..<T { forEachFinished(t, 0..<B) { b in (op + t * BH + b * H).update(repeating: 0, count: H) } }
    let finalIndex = reverse ? 0 : T
    let hValue = Tensor(Array(UnsafeBufferPointer(start: sp + finalIndex * BH, count: BH)), shape: [B, H])
    let cValue = isLSTM ? Tensor(Array(UnsafeBufferPointer(start: cp + finalIndex * BH, count: BH)), shape: [B, H]) : nil

    let inputs: [Variable?]
    switch source {
    case .features(let input): inputs = [input, h0, c0] + weights.all
    case .tokens(_, _, _, let table): inputs = [table, h0, c0, weights.weightHH, isGRU ? weights.biasHH : nil]
    }
    let needs = Tape.needsGrad(inputs)
    let output = Variable(outputValue, requiresGrad: needs)
    let hN = Variable(hValue, requiresGrad: needs)
    let cN = cValue.map { Variable($0, requiresGrad: needs) }
    guard needs else { return (output, hN, cN) }

    let savedGates = gates, savedStates = states, savedCells = cells, savedHidden = hiddenProjections
    Tape.record {
        let gOut = output.grad, gH = hN.grad, gC = cN?.grad
        if gOut == nil && gH == nil && gC == nil { return }
        let gates = savedGates.pointer, sp = savedStates.pointer, cp = savedCells.pointer, hp = savedHidden.pointer
        var dGx = Tensor(uninitialized: [T, B, GH])
        var dGhStorage = Tensor(uninitialized: isGRU ? [T, B, GH] : [0])
        let dgx = dGx.mutablePointer
        let dgh = isGRU ? dGhStorage.mutablePointer : dgx
        var work = Tensor(zeros: [4, B, H])
        let wp = work.mutablePointer
        let dhNext = wp + BH
        // dc alternates between two buffers, one swap per step: after T steps the carried one
        // is the first buffer when T is odd.
        let dcFinal = isLSTM && T % 2 == 1 ? wp + 2 * BH : wp + 3 * BH
        if let gH { dhNext.update(from: gH.pointer, count: BH) }
        if let gC { (wp + 3 * BH).update(from: gC.pointer, count: BH) }
        let stepWeights = PackedMatrix(transposed: false, k: GH, n: H, weights.weightHH.value.pointer)

        Parallel.forEach(rowThreads) { part, parts in
            let rows = Parallel.range(of: B, part: part, of: parts)
            let r0 = rows.lowerBound, n = rows.count
            let dhCur = wp + r0 * H, dhNext = wp + BH + r0 * H
            var dcCur = wp + 2 * BH + r0 * H, dcNext = wp + 3 * BH + r0 * H
            for s in 0..<T {
                let t = reverse ? s : T - 1 - s
                let prev = reverse ? t + 1 : t, cur = reverse ? t : t + 1
                // dh at this step: from the carried gradient and from this step's output.
                dhCur.update(from: dhNext, count: n * H)
                if let gOut {
                    let go = gOut.pointer + t * BH
                    for k in 0..<(n * H) { dhCur[k] += go[r0 * H + k] }
                    forEachFinished(t, rows) { b in
                        for k in 0..<H { dhCur[(b - r0) * H + k] -= go[b * H + k] }
                    }
                }
                let dg = dgx + t * BGH + r0 * GH
                if s + 1 < T {
                    // The next step's saved gates and cells come from far away (written during the
                    // forward pass): start fetching them now, behind this step's work.
                    let tn = reverse ? t + 1 : t - 1
                    st_prefetch(gates + tn * BGH + r0 * GH, n * GH * 4)
                    if isLSTM {
                        st_prefetch(cp + tn * BH + r0 * H, n * H * 4)
                        st_prefetch(cp + (tn + 1) * BH + r0 * H, n * H * 4)
                    }
                }
                switch kind {
                case .lstm:
                    GateKernels.lstmBackward(gates: gates + t * BGH + r0 * GH, c: cp + cur * BH + r0 * H,
                                             cPrev: cp + prev * BH + r0 * H, dh: dhCur, dc: dcNext,
                                             dGates: dg, dcPrev: dcCur, rows: n, hidden: H)
                    forEachFinished(t, rows) { b in
                        (dg + (b - r0) * GH).update(repeating: 0, count: GH)
                        (dcCur + (b - r0) * H).update(from: dcNext + (b - r0) * H, count: H)
                    }
                    swap(&dcCur, &dcNext)
                    stepWeights.multiply(m: n, dg, beta: 0, dhNext, threads: gemmThreads)
                case .gru:
                    let dgh = dgh + t * BGH + r0 * GH
                    GateKernels.gruBackward(gates: gates + t * BGH + r0 * GH, gh: hp + t * BGH + r0 * GH,
                                            hPrev: sp + prev * BH + r0 * H, dh: dhCur, dGx: dg, dGh: dgh,
                                            dhPrev: dhNext, rows: n, hidden: H)
                    forEachFinished(t, rows) { b in
                        (dg + (b - r0) * GH).update(repeating: 0, count: GH)
                        (dgh + (b - r0) * GH).update(repeating: 0, count: GH)
                    }
                    stepWeights.multiply(m: n, dgh, beta: 1, dhNext, threads: gemmThreads)
                case .rnnTanh, .rnnRelu:
                    GateKernels.rnnBackward(h: sp + cur * BH + r0 * H, dh: dhCur, dPre: dg, rows: n, hidden: H, relu: relu)
                    forEachFinished(t, rows) { b in (dg + (b - r0) * GH).update(repeating: 0, count: GH) }
                    stepWeights.multiply(m: n, dg, beta: 0, dhNext, threads: gemmThreads)
                }
                // A finished row passes its state gradient straight through.
                forEachFinished(t, rows) { b in (dhNext + (b - r0) * H).update(from: dhCur + (b - r0) * H, count: H) }
            }
        }

        if let h0, h0.requiresGrad { h0.accumulateGrad(dhNext) }
        if let c0, c0.requiresGrad { c0.accumulateGrad(dcFinal) }
        let prevStart = reverse ? 1 : 0
        if weights.weightHH.requiresGrad {
            gemm(transposeA: true, m: GH, n: H, k: T * B, dgh, sp + prevStart * BH, beta: 1, weights.weightHH.gradPointer())
        }
        // The GRU's b_hh acts on the hidden projections (its n block inside the reset gate).
        if isGRU, let b = weights.biasHH, b.requiresGrad { Kernels.addColumnSums(dgh, rows: T * B, columns: GH, into: b.gradPointer()) }
        switch source {
        case .features(let input):
            if weights.weightIH.requiresGrad {
                gemm(transposeA: true, m: GH, n: input.shape[2], k: T * B, dgx, input.value.pointer, beta: 1,
                     weights.weightIH.gradPointer())
            }
            // The biases of the input pre-activations, b_ih and (except for the GRU) b_hh: one pass
            // over dGates serves both.
            let biases = [weights.biasIH, isGRU ? nil : weights.biasHH].compactMap { $0 }.filter(\.requiresGrad)
            if !biases.isEmpty {
                var sums = Tensor(zeros: [GH])
                sums.withUnsafeMutableBufferPointer { sums in
                    Kernels.addColumnSums(dgx, rows: T * B, columns: GH, into: sums.baseAddress!)
                    for b in biases { b.accumulateGrad(sums.baseAddress!) }
                }
            }
            if input.requiresGrad {
                gemm(m: T * B, n: input.shape[2], k: GH, dgx, weights.weightIH.value.pointer, beta: 1, input.gradPointer())
            }
        case .tokens(let ids, _, _, let table):
            // Each token's row of the table collects its steps' gate gradients.
            if table.requiresGrad { Kernels.addRows(dgx, at: ids, columns: GH, into: table.gradPointer()) }
        }
        // The buffers were used only through their pointers: keep them alive up to here.
        withExtendedLifetime((dGx, dGhStorage, work)) {}
    }
    return (output, hN, cN)
}
