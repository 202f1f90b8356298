import CKernels
import SeqTensor

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

/// One direction of one recurrent layer over a whole sequence, as a single autodiff operation.
///
/// input (T, B, I) (or tokens through a projection table) -> output (T, B, H), final h (B, H)
/// and, for cells with a cell state (`CellKernels.hasCellState`), final c (B, H).
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
/// hidden projections; backward adds the same again for the gate gradients. When nothing records
/// (inference, `Graph.withoutRecording`) the pass is forward only: the cell states and recurrent
/// projections live in one step's buffers (2*B*H, B*G*H), reused at every step, and so do the gates
/// unless one GEMM projected the inputs of all steps first (features without AVX-512), so they stay
/// in cache; the arithmetic, and so every value, is the same.
///
/// Generic over the cell's kernels: a new cell with fused kernels needs nothing here.
public func recurrentSequence<Cell: CellKernels>(
    cell: Cell, _ source: RecurrentInput, weights: RecurrentWeights,
    h0: Variable? = nil, c0: Variable? = nil, reverse: Bool = false, lengths: [Int]? = nil
) -> (output: Variable, h: Variable, c: Variable?) {
    let shape = SequenceShape(cell, source, weights: weights, h0: h0, c0: c0, reverse: reverse, lengths: lengths)
    let inputs: [Variable?]
    switch source {
    case .features(let input): inputs = [input, h0, c0] + weights.all
    case .tokens(_, _, _, let table):
        inputs = [table, h0, c0, weights.weightHH, cell.keepsRecurrentProjection ? weights.biasHH : nil]
    }
    let needs = Graph.needsGrad(inputs)
    let forward = SequenceForward(shape, source, weights: weights, h0: h0, c0: c0, keepsSteps: needs)
    let (outputValue, hValue, cValue) = forward.outputs()

    let output = Variable(outputValue, requiresGrad: needs)
    let hN = Variable(hValue, requiresGrad: needs)
    let cN = cValue.map { Variable($0, requiresGrad: needs) }
    guard needs else { return (output, hN, cN) }
    Graph.record(inputs: inputs, outputs: [output, hN] + (cN.map { [$0] } ?? [])) { grads in
        forward.backward(
            source, weights: weights, h0: h0, c0: c0, gradOutput: grads[0], gradH: grads[1],
            gradC: grads.count > 2 ? grads[2] : nil)
    }
    return (output, hN, cN)
}

/// The forward pass of one layer-direction and what its backward reads: the activated gates
/// (T, B, G*H), the states h (T+1, B, H), for cells with one the cell states c (T+1, B, H),
/// and for cells that keep it the recurrent projections W_hh h (T, B, G*H).
///
/// Forward only (`keepsSteps` false) it keeps the states h, which are the output, and one step's
/// worth of the rest: gates (B, G*H) (all T steps' when one GEMM projects the whole input first),
/// the recurrent projections (B, G*H), and the cell states in two slots that alternate.
struct SequenceForward<Cell: CellKernels> {
    let shape: SequenceShape<Cell>
    /// Whether every step's gates, cell state and recurrent projection are kept for `backward`.
    let keepsSteps: Bool
    private(set) var gates: Tensor, states: Tensor, cells: Tensor, recurrentProjections: Tensor
    /// Floats between the gates (and recurrent projections) of consecutive steps: B*G*H, or 0
    /// when one step's buffer serves them all.
    private let gateStride: Int, projectionStride: Int
    /// Slots of B*H floats for the cell states: T+1 (the cell state after every step), or 2
    /// (before and after the running step); state index i lives in slot i % cellSlots.
    private let cellSlots: Int

    /// The buffers the threads of the forward loop share, each writing its own rows.
    private struct Buffers {
        let gates: UnsafeMutablePointer<Float>, states: UnsafeMutablePointer<Float>
        let cells: UnsafeMutablePointer<Float>?, recurrentProjections: UnsafeMutablePointer<Float>?
        /// Per step from features: x (T*B, I), W_ih^T packed, the input bias.
        let stepInput: (x: UnsafePointer<Float>, I: Int, weights: PackedMatrix, bias: Tensor)?
        /// Per step from tokens: the ids and the projection table.
        let tokenTable: (ids: [Int], rows: UnsafePointer<Float>)?
        let recurrentWeights: PackedMatrix, recurrentBias: UnsafePointer<Float>?
        /// See the properties of the same names.
        let gateStride: Int, projectionStride: Int, cellSlots: Int
    }

    /// Runs the forward pass; with `keepsSteps` false, forward only (nothing for `backward`).
    init(
        _ shape: SequenceShape<Cell>, _ source: RecurrentInput, weights: RecurrentWeights, h0: Variable?,
        c0: Variable?, keepsSteps: Bool = true
    ) {
        self.shape = shape
        self.keepsSteps = keepsSteps
        let (cell, T, B, H, GH, BH) = (shape.cell, shape.T, shape.B, shape.H, shape.GH, shape.BH)
        // See the input projections below: one GEMM for all steps, or step by step.
        var projectsAllSteps = false
        if case .features = source, InstructionSet.current != .avx512 { projectsAllSteps = true }
        gateStride = keepsSteps || projectsAllSteps ? B * GH : 0
        projectionStride = keepsSteps ? B * GH : 0
        cellSlots = keepsSteps ? T + 1 : 2
        gates = Tensor(uninitialized: [gateStride == 0 ? 1 : T, B, GH])
        states = Tensor(uninitialized: [T + 1, B, H])
        cells = Tensor(uninitialized: cell.hasCellState ? [cellSlots, B, H] : [0])
        recurrentProjections = Tensor(
            uninitialized: cell.keepsRecurrentProjection ? [projectionStride == 0 ? 1 : T, B, GH] : [0])
        let gp = gates.mutablePointer, sp = states.mutablePointer
        let cp = cell.hasCellState ? cells.mutablePointer : nil
        let hp = cell.keepsRecurrentProjection ? recurrentProjections.mutablePointer : nil

        // The input projections W_ih x_t + b. With AVX-512 each thread projects its own rows step
        // by step, so the gate rows it then reads are fresh in its own core's cache (the AVX-512
        // GEMM fetches the packed W_ih's next sliver into L2 behind its FMAs, so a W_ih that does
        // not stay in L2, as on Zen 4's 1 MB, still arrives in time); on the AVX2 path (machines
        // with 512 KB to 1 MB of L2, where W_ih streamed from L3 at every step when this was
        // measured) one GEMM does all steps. Tokens are copied from their table step by step in
        // the loop, while it sits in cache. Forward only the same (one GEMM for all steps measured
        // no faster on AVX-512: 102-113k against 116k tokens/s at B = 32, T = 64, and it needs
        // T*B*G*H floats where step by step needs B*G*H).
        var stepInput: (x: UnsafePointer<Float>, I: Int, weights: PackedMatrix, bias: Tensor)? = nil
        var tokenTable: (ids: [Int], rows: UnsafePointer<Float>)? = nil
        switch source {
        case .features(let input):
            let bias = weights.inputBiasValue(for: cell)
            let I = input.shape[2], x = input.value.pointer, w = weights.weightIH.value.pointer
            if !projectsAllSteps {
                stepInput = (x, I, PackedMatrix(transposed: true, k: I, n: GH, w), bias)
            } else {
                gemm(transposeB: true, m: T * B, n: GH, k: I, x, w, bias: bias.pointer, gp)
            }
        case .tokens(let ids, _, _, let table):
            tokenTable = (ids, table.value.pointer)
        }

        let initial = shape.reverse ? T : 0
        if let h0 {
            (sp + initial * BH).update(from: h0.value.pointer, count: BH)
        } else {
            (sp + initial * BH).initialize(repeating: 0, count: BH)
        }
        if let cp {
            let c = cp + (initial % cellSlots) * BH
            if let c0 { c.update(from: c0.value.pointer, count: BH) } else { c.initialize(repeating: 0, count: BH) }
        }
        let buffers = Buffers(
            gates: gp, states: sp, cells: cp, recurrentProjections: hp, stepInput: stepInput, tokenTable: tokenTable,
            // W_hh^T multiplies the state at every step: packed for the GEMM kernel once.
            recurrentWeights: PackedMatrix(transposed: true, k: H, n: GH, weights.weightHH.value.pointer),
            recurrentBias: cell.keepsRecurrentProjection ? weights.biasHH?.value.pointer : nil,
            gateStride: gateStride, projectionStride: projectionStride, cellSlots: cellSlots)
        Parallel.forEach(shape.rowThreads, sharing: buffers) { buffers, part, parts in
            Self.run(shape, buffers, rows: Parallel.range(of: B, part: part, of: parts))
        }
        withExtendedLifetime(buffers) {}
    }

    /// The forward loop over all steps for rows `rows` of the batch.
    private static func run(_ shape: SequenceShape<Cell>, _ buffers: Buffers, rows: Range<Int>) {
        let (B, H, GH, BH) = (shape.B, shape.H, shape.GH, shape.BH)
        let r0 = rows.lowerBound, n = rows.count
        let (gp, sp, cp, hp) = (buffers.gates, buffers.states, buffers.cells, buffers.recurrentProjections)
        let (gateStride, projectionStride, slots) = (buffers.gateStride, buffers.projectionStride, buffers.cellSlots)
        for s in 0..<shape.T {
            let (t, prev, cur) = shape.step(s)
            let g = gp + t * gateStride + r0 * GH
            let (cPrev, c) = (cp.map { $0 + (prev % slots) * BH }, cp.map { $0 + (cur % slots) * BH })
            if let (ids, table) = buffers.tokenTable {
                for b in rows { (g + (b - r0) * GH).update(from: table + ids[t * B + b] * GH, count: GH) }
            } else if let (x, I, inputWeights, bias) = buffers.stepInput {
                inputWeights.multiply(m: n, x + (t * B + r0) * I, bias: bias.pointer, g, threads: shape.gemmThreads)
            }
            shape.cell.forward(
                CellStep(
                    rows: n, hidden: H, gates: g, recurrentProjection: hp.map { $0 + t * projectionStride + r0 * GH },
                    hPrev: sp + prev * BH + r0 * H, h: sp + cur * BH + r0 * H,
                    cPrev: cPrev.map { $0 + r0 * H }, c: c.map { $0 + r0 * H },
                    recurrentWeights: buffers.recurrentWeights, recurrentBias: buffers.recurrentBias,
                    threads: shape.gemmThreads))
            // A finished row keeps its state.
            shape.forEachFinished(t, rows) { b in
                (sp + cur * BH + b * H).update(from: sp + prev * BH + b * H, count: H)
                if let cPrev, let c { (c + b * H).update(from: cPrev + b * H, count: H) }
            }
        }
    }

    /// The output sequence (T, B, H) (zero past each row's length) and the final h and c (B, H).
    func outputs() -> (output: Tensor, h: Tensor, c: Tensor?) {
        let (T, B, H, BH) = (shape.T, shape.B, shape.H, shape.BH)
        let sp = states.pointer
        var output = Tensor(uninitialized: [T, B, H])
        let op = output.mutablePointer
        // Megabytes into fresh pages: the threads share the copy (and the page faults).
        Parallel.forEach(Parallel.elementThreads(T * BH), sharing: (op, sp + (shape.reverse ? 0 : 1) * BH)) {
            shared, part, parts in
            let range = Parallel.range(of: T * BH, part: part, of: parts)
            (shared.0 + range.lowerBound).update(from: shared.1 + range.lowerBound, count: range.count)
        }
        for t in 0..<T { shape.forEachFinished(t, 0..<B) { b in (op + t * BH + b * H).update(repeating: 0, count: H) } }
        let last = shape.reverse ? 0 : T
        let h = Tensor(Array(UnsafeBufferPointer(start: sp + last * BH, count: BH)), shape: [B, H])
        let cLast = cells.pointer + last % cellSlots * BH
        let c =
            shape.cell.hasCellState ? Tensor(Array(UnsafeBufferPointer(start: cLast, count: BH)), shape: [B, H]) : nil
        return (output, h, c)
    }
}

extension SequenceForward {
    /// The buffers the threads of the backward loop share, each writing its own rows.
    private struct GradientBuffers {
        let gates: UnsafePointer<Float>, states: UnsafePointer<Float>
        let cells: UnsafePointer<Float>?, recurrentProjections: UnsafePointer<Float>?
        let dGates: UnsafeMutablePointer<Float>, dRecurrentProjections: UnsafeMutablePointer<Float>?
        /// dh carried from step t+1 (B, H), dh at this step, and two dc buffers that swap roles
        /// every step.
        let work: UnsafeMutablePointer<Float>
        let gradOutput: UnsafePointer<Float>?
        let recurrentWeights: PackedMatrix
    }

    /// Backpropagation through time: from the gradients of the output sequence and of the final
    /// h and c, adds the gradients of the input (or token table), the initial state and the
    /// weights. Per step one fused gate-backward kernel and one product through W_hh; then one
    /// product each sums dW_ih = dGates^T X and dW_hh = dGates^T H_prev over all steps, and one
    /// gives dX = dGates W_ih.
    func backward(
        _ source: RecurrentInput, weights: RecurrentWeights, h0: Variable?, c0: Variable?,
        gradOutput: Tensor?, gradH: Tensor?, gradC: Tensor?
    ) {
        precondition(keepsSteps, "recurrentSequence: backward through a forward-only pass")
        let (cell, T, B, H, GH, BH) = (shape.cell, shape.T, shape.B, shape.H, shape.GH, shape.BH)
        var dGates = Tensor(uninitialized: [T, B, GH])
        var dRecurrent = Tensor(uninitialized: cell.keepsRecurrentProjection ? [T, B, GH] : [0])
        let dgx = dGates.mutablePointer
        // The gradient that reaches W_hh: the recurrent projection's where the cell keeps one.
        let dgh = cell.keepsRecurrentProjection ? dRecurrent.mutablePointer : dgx
        var work = Tensor(zeros: [4, B, H])
        let wp = work.mutablePointer
        if let gradH { (wp + BH).update(from: gradH.pointer, count: BH) }
        if let gradC { (wp + 3 * BH).update(from: gradC.pointer, count: BH) }
        let buffers = GradientBuffers(
            gates: gates.pointer, states: states.pointer, cells: cell.hasCellState ? cells.pointer : nil,
            recurrentProjections: cell.keepsRecurrentProjection ? recurrentProjections.pointer : nil,
            dGates: dgx, dRecurrentProjections: cell.keepsRecurrentProjection ? dgh : nil, work: wp,
            gradOutput: gradOutput?.pointer,
            recurrentWeights: PackedMatrix(transposed: false, k: GH, n: H, weights.weightHH.value.pointer))
        let shape = self.shape
        Parallel.forEach(shape.rowThreads, sharing: buffers) { buffers, part, parts in
            Self.runBackward(shape, buffers, rows: Parallel.range(of: B, part: part, of: parts))
        }

        // dc alternates between two buffers, one swap per step: after T steps the carried one is
        // the first buffer when T is odd.
        if let h0, h0.requiresGrad { h0.accumulateGrad(wp + BH) }
        if let c0, c0.requiresGrad { c0.accumulateGrad(T % 2 == 1 ? wp + 2 * BH : wp + 3 * BH) }
        let previousStates = states.pointer + (shape.reverse ? 1 : 0) * BH
        // The bias and token-table gradients are sums of dGates' rows: the weight-gradient GEMM
        // that reads those dGates adds them up as it packs them (`RowSums`), and a pass of their
        // own runs only where no GEMM reads them. The sums of dgh: b_hh inside a kept recurrent
        // projection (the GRU's n block); of dgx: the input biases into `biasSums`, or the token table.
        var dghSums =
            cell.keepsRecurrentProjection
            ? weights.biasHH.flatMap { $0.requiresGrad ? RowSums(into: $0.gradPointer()) : nil } : nil
        var dgxSums: RowSums? = nil
        var biasSums: Tensor? = nil
        var biases: [Variable] = []
        switch source {
        case .features:
            biases = [weights.biasIH, cell.keepsRecurrentProjection ? nil : weights.biasHH].compactMap { $0 }
                .filter(\.requiresGrad)
            if !biases.isEmpty {
                var sums = Tensor(zeros: [GH])
                dgxSums = RowSums(into: sums.mutablePointer)
                biasSums = sums
            }
        case .tokens(let ids, _, _, let table):
            if table.requiresGrad { dgxSums = RowSums(into: table.gradPointer(), rows: ids) }
        }
        if weights.weightHH.requiresGrad {
            let dWhh = weights.weightHH.gradPointer()
            if cell.keepsRecurrentProjection {
                RowSums.weightGradient(dgh, previousStates, m: GH, n: H, k: T * B, into: dWhh, summing: &dghSums)
            } else {
                // dgh is dgx: the input side's sums come from this product.
                RowSums.weightGradient(dgh, previousStates, m: GH, n: H, k: T * B, into: dWhh, summing: &dgxSums)
            }
        }
        dghSums?.add(dgh, rows: T * B, columns: GH)
        if case .features(let input) = source, weights.weightIH.requiresGrad {
            RowSums.weightGradient(
                dgx, input.value.pointer, m: GH, n: input.shape[2], k: T * B, into: weights.weightIH.gradPointer(),
                summing: &dgxSums)
        }
        dgxSums?.add(dgx, rows: T * B, columns: GH)
        // One sum of dGates serves b_ih and b_hh.
        if let biasSums { for b in biases { b.accumulateGrad(biasSums.pointer) } }
        if case .features(let input) = source, input.requiresGrad {
            gemm(m: T * B, n: input.shape[2], k: GH, dgx, weights.weightIH.value.pointer, beta: 1, input.gradPointer())
        }
        // The buffers were used only through their pointers: keep them alive up to here.
        withExtendedLifetime((dGates, dRecurrent, work, buffers, biasSums)) {}
    }

    /// The backward loop over all steps, last first, for rows `rows` of the batch.
    private static func runBackward(_ shape: SequenceShape<Cell>, _ buffers: GradientBuffers, rows: Range<Int>) {
        let (cell, T, H, GH, BH, BGH) = (shape.cell, shape.T, shape.H, shape.GH, shape.BH, shape.BGH)
        let r0 = rows.lowerBound, n = rows.count
        let (gates, sp, cp, hp, wp) = (
            buffers.gates, buffers.states, buffers.cells, buffers.recurrentProjections,
            buffers.work
        )
        let dhCur = wp + r0 * H, dhNext = wp + BH + r0 * H
        var dcCur = wp + 2 * BH + r0 * H, dcNext = wp + 3 * BH + r0 * H
        for s in 0..<T {
            let (t, prev, cur) = shape.step(T - 1 - s)
            // dh at this step: from the carried gradient and from this step's output.
            dhCur.update(from: dhNext, count: n * H)
            if let gOut = buffers.gradOutput {
                let go = gOut + t * BH
                for k in 0..<(n * H) { dhCur[k] += go[r0 * H + k] }
                shape.forEachFinished(t, rows) { b in
                    for k in 0..<H { dhCur[(b - r0) * H + k] -= go[b * H + k] }
                }
            }
            if s + 1 < T {
                // The next step's saved gates and cells come from far away (written during the
                // forward pass): start fetching them now, behind this step's work.
                let tn = shape.reverse ? t + 1 : t - 1
                st_prefetch(gates + tn * BGH + r0 * GH, n * GH * 4)
                if let cp {
                    st_prefetch(cp + tn * BH + r0 * H, n * H * 4)
                    st_prefetch(cp + (tn + 1) * BH + r0 * H, n * H * 4)
                }
            }
            let step = CellGradientStep(
                rows: n, hidden: H, gates: gates + t * BGH + r0 * GH,
                recurrentProjection: hp.map { $0 + t * BGH + r0 * GH },
                hPrev: sp + prev * BH + r0 * H, h: sp + cur * BH + r0 * H,
                cPrev: cp.map { $0 + prev * BH + r0 * H }, c: cp.map { $0 + cur * BH + r0 * H },
                dh: dhCur, dc: cp == nil ? nil : UnsafePointer(dcNext), dGates: buffers.dGates + t * BGH + r0 * GH,
                dRecurrentProjection: buffers.dRecurrentProjections.map { $0 + t * BGH + r0 * GH },
                dhPrev: dhNext, dcPrev: cp == nil ? nil : dcCur, recurrentWeights: buffers.recurrentWeights,
                threads: shape.gemmThreads)
            cell.backward(step)
            // A finished row gets no gradient through its gates, and passes its state's straight through.
            shape.forEachFinished(t, rows) { b in
                (step.dGates + (b - r0) * GH).update(repeating: 0, count: GH)
                step.dRecurrentProjection.map { ($0 + (b - r0) * GH).update(repeating: 0, count: GH) }
                if cp != nil { (dcCur + (b - r0) * H).update(from: dcNext + (b - r0) * H, count: H) }
            }
            cell.backwardThroughRecurrentWeights(step)
            swap(&dcCur, &dcNext)
            shape.forEachFinished(t, rows) { b in (dhNext + (b - r0) * H).update(from: dhCur + (b - r0) * H, count: H) }
        }
    }
}

/// Sums of a gradient's rows that backward owes: into row `rows[p]` of `into` (row 0 without
/// `rows`) for every row p, in order of p.
private struct RowSums {
    let into: UnsafeMutablePointer<Float>
    var rows: [Int]? = nil

    /// dW += dG^T X for dG (k, m) and X (k, n), with the sums `owed` (if any) taken from dG as the
    /// product packs it; `owed` is then settled (nil).
    static func weightGradient(
        _ dG: UnsafePointer<Float>, _ x: UnsafePointer<Float>, m: Int, n: Int, k: Int,
        into dW: UnsafeMutablePointer<Float>, summing owed: inout RowSums?
    ) {
        gemm(transposedA: dG, x, m: m, n: n, k: k, beta: 1, dW, addingRowsOfAInto: owed?.into, at: owed?.rows)
        owed = nil
    }

    /// The sums from `g` (rows, columns) in a pass of their own.
    func add(_ g: UnsafePointer<Float>, rows count: Int, columns: Int) {
        Kernels.addRowSums(g, rows: count, columns: columns, into: into, at: rows)
    }
}
