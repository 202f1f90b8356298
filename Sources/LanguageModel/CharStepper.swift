import CKernels
import Feedforward
import Recurrent
import SeqTensor

/// Batch-1 inference of a character model one token at a time, for sampling: no autodiff graph.
///
/// Cells with fused inference kernels (LSTM, GRU, RNN) step on `FusedCharStepper`: no allocation
/// per step, the hidden units split over threads. Any other cell steps through the model itself
/// (its stack run on one token, in inference mode), slower but the same numbers.
public final class CharStepper {
    private let fused: FusedCharStepper?
    private let model: CharLanguageModel
    /// The state after the last step, for the stepping without fused kernels (nil: zero).
    private var state: RecurrentState?
    private var stepped: Tensor

    /// A stepper over `model`, in the zero state. With fused kernels it keeps the weights as they
    /// are now (splitting its units over up to `BLASThreads.current` threads); otherwise it steps
    /// the model as it is at each step.
    public init(_ model: CharLanguageModel) {
        self.model = model
        fused = model.rnn.fusedKernels.map { FusedCharStepper(model, $0.map { $0[0] }) }
        stepped = Tensor(zeros: [model.configuration.vocabularySize])
    }

    /// The logits after the last step (V).
    public var logits: Tensor { fused?.logits ?? stepped }

    /// Back to the zero state.
    public func reset() {
        guard let fused else {
            state = nil
            stepped = Tensor(zeros: [model.configuration.vocabularySize])
            return
        }
        fused.reset()
    }

    /// Feeds `token`; `logits` then holds the scores of the next token.
    public func step(_ token: Int) { run(from: token) { _ in nil } }

    /// Feeds `token`, then keeps feeding what `next` returns until it returns nil. `next` runs
    /// on the calling thread after every step with the logits (V values; also in `logits`).
    public func run(from token: Int, next: (UnsafePointer<Float>) -> Int?) {
        if let fused { return fused.run(from: token, next: next) }
        let V = model.configuration.vocabularySize
        var token: Int? = token
        while let current = token {
            precondition(
                current >= 0 && current < V, "CharStepper: token \(current) is not in the vocabulary (0..<\(V))")
            let (logits, after) = model.inferenceMode { model([current], steps: 1, batch: 1, state: state) }
            (stepped, state) = (logits.value.reshaped([V]), after)
            token = stepped.withUnsafeBufferPointer { next($0.baseAddress!) }
        }
    }
}

/// `CharStepper` over a model whose cells have fused inference kernels (`CellKernels.infer`):
/// no autodiff graph, no allocation per step.
///
/// At batch 1 a step streams all the weights once from cache, and what else it costs is thread
/// hand-offs, cache lines moving between cores, and the time a core waits. So:
/// - The hidden state h_l of layer l is read by two matrices: W_ih of the layer above (the head's
///   weight at the top) now, and W_hh of layer l at the next step. Both products are made as
///   soon as h_l is:
///       projected_l = [W_ih_{l+1}; W_hh_l] h_l(t) + [b_{l+1}; 0]
///   the input projection of layer l+1 at t (or the logits), and W_hh_l h_l(t) for step t+1.
/// - The hidden units are split into chunks, one per thread. Each thread computes the rows of
///   its own units and runs their gate kernel, so gate values never leave the core that made
///   them. `projected` is stored chunk by chunk, each chunk's gate blocks [g_0 | g_1 | ...]
///   over its units, so that a chunk looks like a small layer to the kernels.
/// - `run` keeps the threads in one task for a whole generation and no thread waits where it
///   has work: after its gates a thread posts its units of h_l, then does the W_hh rows of the
///   layer below (needed at the next step only), then waits for the other units of h_l. The
///   thread that owns the head posts the logits as soon as they are made; thread 0 draws the
///   next token and posts it. h_l is double-buffered, as a fast thread writes step t+1's h_l
///   while a slow one may still read step t's.
/// - The first layer's input projection is a table lookup: the projection of every embedding
///   row, computed once.
///
/// The stepper keeps the weights as they were when it was made (it holds their storage, so a
/// model trained further gets copies of its own). Memory: the table V*G*H floats, O(L*G*H) state.
final class FusedCharStepper {
    let cell: any CellKernels
    let G: Int, H: Int, V: Int, L: Int
    /// Hidden units of each chunk (blocks of 16: whole vectors for the kernels).
    let chunkUnits: [Range<Int>]
    /// Per layer and chunk: the chunk's first row in projected_l, and how many of its rows feed
    /// the layer above (W_ih rows of its units; at the top layer the head rows, all in the last chunk).
    let chunkStart: [[Int]], aboveRows: [[Int]]
    /// A run of consecutive weight rows and where their products go in projected_l.
    struct Run {
        let weights: UnsafePointer<Float>, rows: Int, output: Int
    }
    /// Per layer and chunk: the runs of the rows that feed the layer above, and of W_hh's rows.
    let aboveRuns: [[[Run]]], recurrentRuns: [[[Run]]]
    /// The weight tensors the runs read, held so that their storage stays as it is.
    private let weightStorage: [Tensor]
    /// (V, G*H), gate rows chunk by chunk: W_ih embed[v] + b_ih (+ b_hh except for GRU) for every token v.
    private let table: UnsafeMutablePointer<Float>
    /// Per layer: the rows' bias (b_ih (+ b_hh except for GRU) of the layer above or the head's;
    /// zero on W_hh rows) and their last product.
    private let projectedBias: [UnsafeMutablePointer<Float>], projected: [UnsafeMutablePointer<Float>]
    /// Per layer: b_hh in chunk order, for cells that keep their recurrent projection apart
    /// (the GRU; nil for the others or without bias).
    private let recurrentBias: [UnsafeMutablePointer<Float>?]
    /// Per layer: two buffers of h (step t writes buffer `current` after the flip) and c.
    private let hidden: [[UnsafeMutablePointer<Float>]], cells: [UnsafeMutablePointer<Float>]
    /// The gates' pre-activations and a copy of c, chunk by chunk.
    private let gates: UnsafeMutablePointer<Float>, previous: UnsafeMutablePointer<Float>
    private var allocations: [UnsafeMutableRawPointer] = []
    /// The h buffer that holds the latest state.
    private var current = 0
    /// Hand-offs inside `run`: logits to thread 0, the next token from it. Their counters only
    /// grow; `posted` is where they stand.
    private let logitsReady = st_signal_create()!, tokenReady = st_signal_create()!
    /// Per chunk: its units' h of the current layer and step are written.
    private let unitsReady: [OpaquePointer]
    private var posted = 0, nextToken = 0
    /// Steps the last `run` made (written by its thread 0).
    private var stepsRun = 0
    /// The logits after the last step.
    private(set) var logits: Tensor

    /// A stepper over `model` as it is now, whose layers run `layers` (their forward direction),
    /// in the zero state, splitting its units over up to `BLASThreads.current` threads (one when
    /// the model is small or the GEMM is OpenBLAS's).
    init(_ model: CharLanguageModel, _ layers: [FusedKernels]) {
        let c = model.configuration
        cell = layers[0].kernels
        let (g, h, v, l) = (cell.gateCount, c.hidden, c.vocabularySize, c.layers)
        (G, H, V, L) = (g, h, v, l)
        let weights = layers.map(\.weights)
        let blocks = (h + 15) / 16
        let chunks = Parallel.rowThreads(
            rows: blocks, work: l * 2 * g * h * h + v * h, minimum: Parallel.minimumStepWork)
        let units = (0..<chunks).map { chunk -> Range<Int> in
            let b = Parallel.range(of: blocks, part: chunk, of: chunks)
            return (b.lowerBound * 16)..<min(h, b.upperBound * 16)
        }
        chunkUnits = units
        /// Gate-row order: entry i is the row of PyTorch's layout (gate * H + unit) stored at i.
        let gateOrder = units.flatMap { u in (0..<g).flatMap { gate in u.map { gate * h + $0 } } }
        func chunkRows(_ u: Range<Int>) -> ArraySlice<Int> { gateOrder[(g * u.lowerBound)..<(g * u.upperBound)] }
        var projection = Tensor(uninitialized: [v, g * h])
        let bias0 = weights[0].inputBiasValue(for: cell)
        gemm(
            transposeB: true, m: v, n: g * h, k: c.embedding, model.embed.weight.value.pointer,
            weights[0].weightIH.value.pointer, bias: bias0.pointer, projection.mutablePointer)
        var allocations: [UnsafeMutableRawPointer] = []
        // Cache-line aligned: chunks start on 16-float boundaries, so two threads never write
        // to one line.
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            allocations.append(raw)
            return raw.initializeMemory(as: Float.self, repeating: 0, count: max(1, count))
        }
        table = buffer(v * g * h)
        for token in 0..<v {
            let row = projection.pointer + token * g * h
            for (i, j) in gateOrder.enumerated() { table[token * g * h + i] = row[j] }
        }

        var (biases, products, starts, above) = (
            [UnsafeMutablePointer<Float>](), [UnsafeMutablePointer<Float>](), [[Int]](), [[Int]]()
        )
        var (aboveRuns, recurrentRuns) = ([[[Run]]](), [[[Run]]]())
        var weightStorage = [Tensor]()
        for layer in 0..<l {
            let top = layer + 1 == l
            let aboveWeight = top ? model.head.weight.value : weights[layer + 1].weightIH.value
            let aboveBias =
                top ? model.head.bias?.value ?? Tensor(zeros: [v]) : weights[layer + 1].inputBiasValue(for: cell)
            let recurrentWeight = weights[layer].weightHH.value
            weightStorage += [aboveWeight, recurrentWeight]
            let count = units.indices.map { chunk in top ? (chunk == chunks - 1 ? v : 0) : g * units[chunk].count }
            let start = units.indices.map { chunk in (0..<chunk).reduce(0) { $0 + count[$1] + g * units[$1].count } }
            let rows = start.last! + count.last! + g * units.last!.count
            /// One run per gate block of the chunk's units: rows gate * H + u of `weight`.
            func gateRuns(_ weight: Tensor, _ u: Range<Int>, at output: Int) -> [Run] {
                (0..<g).map { gate in
                    Run(
                        weights: weight.pointer + (gate * h + u.lowerBound) * h, rows: u.count,
                        output: output + gate * u.count)
                }
            }
            aboveRuns.append(
                units.indices.map { chunk in
                    if !top { return gateRuns(aboveWeight, units[chunk], at: start[chunk]) }
                    return count[chunk] == 0 ? [] : [Run(weights: aboveWeight.pointer, rows: v, output: start[chunk])]
                })
            recurrentRuns.append(
                units.indices.map { chunk in
                    gateRuns(recurrentWeight, units[chunk], at: start[chunk] + count[chunk])
                })
            let (bias, product) = (buffer(rows), buffer(rows))
            for chunk in units.indices {
                let order = top ? Array(0..<count[chunk]) : Array(chunkRows(units[chunk]))
                for (i, row) in order.enumerated() { bias[start[chunk] + i] = aboveBias.pointer[row] }
            }
            product.update(from: bias, count: rows)
            biases.append(bias)
            products.append(product)
            starts.append(start)
            above.append(count)
        }
        (projectedBias, projected, chunkStart, aboveRows) = (biases, products, starts, above)
        unitsReady = units.map { _ in st_signal_create()! }
        (self.aboveRuns, self.recurrentRuns, self.weightStorage) = (aboveRuns, recurrentRuns, weightStorage)
        recurrentBias = weights.map { [cell] w in
            guard cell.keepsRecurrentProjection, let b = w.biasHH else { return nil }
            let ordered = buffer(g * h)
            for (i, j) in gateOrder.enumerated() { ordered[i] = b.value.pointer[j] }
            return ordered
        }
        hidden = (0..<l).map { _ in [buffer(h), buffer(h)] }
        cells = (0..<l).map { _ in buffer(h) }
        gates = buffer(g * h)
        previous = buffer(h)
        self.allocations = allocations
        logits = Tensor(zeros: [v])
        reset()
    }

    deinit {
        for raw in allocations { raw.deallocate() }
        for signal in unitsReady { st_signal_destroy(signal) }
        st_signal_destroy(logitsReady)
        st_signal_destroy(tokenReady)
    }

    /// Back to the zero state.
    func reset() {
        for l in 0..<L {
            for b in hidden[l] { b.update(repeating: 0, count: H) }
            cells[l].update(repeating: 0, count: H)
            // W_hh h(0) for the first step, computed rather than assumed 0 (inf * 0 is NaN).
            for chunk in chunkUnits.indices { project(layer: l, chunk: chunk, rows: .recurrent) }
        }
        logits.mutablePointer.update(repeating: 0, count: V)
    }

    /// Feeds `token`, then keeps feeding what `next` returns until it returns nil. `next` runs
    /// on the calling thread after every step with the logits (V values; also in `logits`).
    func run(from token: Int, next: (UnsafePointer<Float>) -> Int?) {
        precondition(token >= 0 && token < V, "CharStepper: token \(token) is not in the vocabulary (0..<\(V))")
        let start = posted, startBuffer = current
        // The threads share this stepper's buffers and hand-off fields (written under the
        // signals' order) and `next`, which only thread 0 calls.
        withoutActuallyEscaping(next) { next in
            Parallel.forEach(min(chunkUnits.count, BLASThreads.current), sharing: (self, next)) { shared, part, parts in
                shared.0.runThread(
                    part, of: parts, token: token, start: start, startBuffer: startBuffer, next: shared.1)
            }
        }
        posted += stepsRun
        current = (startBuffer + stepsRun) % 2
    }

    /// Thread `part`'s share of `run`: its chunks of every layer, step after step, until thread
    /// 0 gets no next token from `next`.
    private func runThread(
        _ part: Int, of parts: Int, token: Int, start: Int, startBuffer: Int, next: (UnsafePointer<Float>) -> Int?
    ) {
        let chunks = chunkUnits.count
        let mine = Parallel.range(of: chunks, part: part, of: parts)
        // Thread 0 leaves the top layer's W_hh rows of a step for the next one, after its
        // first gates; the others do them while thread 0 draws.
        let deferTop = part == 0 && L > 1
        var token = token, step = 0, buffer = startBuffer
        while true {
            buffer ^= 1
            step += 1
            for l in 0..<L {
                let stamp = (start + step) * L + l
                for chunk in mine {
                    runGates(layer: l, chunk: chunk, token: token, buffer: buffer)
                    st_signal_post(unitsReady[chunk], stamp)
                }
                // Work that does not need the other chunks' h_l, done before waiting for
                // them: W_hh rows of the layer below (needed at the next step only).
                if l > 0 {
                    for chunk in mine { project(layer: l - 1, chunk: chunk, rows: .recurrent, buffer: buffer) }
                } else if deferTop && step > 1 {
                    for chunk in mine { project(layer: L - 1, chunk: chunk, rows: .recurrent, buffer: buffer ^ 1) }
                }
                for chunk in 0..<chunks where !mine.contains(chunk) { st_signal_wait(unitsReady[chunk], stamp) }
                if l + 1 < L { for chunk in mine { project(layer: l, chunk: chunk, rows: .above, buffer: buffer) } }
            }
            for chunk in mine { project(layer: L - 1, chunk: chunk, rows: .above, buffer: buffer) }
            if mine.contains(chunks - 1) { st_signal_post(logitsReady, start + step) }
            if !deferTop { for chunk in mine { project(layer: L - 1, chunk: chunk, rows: .recurrent, buffer: buffer) } }
            if part == 0 {
                st_signal_wait(logitsReady, start + step)
                logits.mutablePointer.update(from: projected[L - 1] + chunkStart[L - 1][chunks - 1], count: V)
                let following = next(logits.pointer)
                if let following {
                    precondition(
                        following >= 0 && following < V,
                        "CharStepper: token \(following) is not in the vocabulary (0..<\(V))")
                }
                nextToken = following ?? -1
                st_signal_post(tokenReady, start + step)
                guard let following else { break }
                token = following
            } else {
                st_signal_wait(tokenReady, start + step)
                token = nextToken
                if token < 0 { break }
            }
        }
        if deferTop { for chunk in mine { project(layer: L - 1, chunk: chunk, rows: .recurrent, buffer: buffer) } }
        if part == 0 { stepsRun = step }
    }

    /// The gate kernel of layer `l` on the units of `chunk`: from the layer's input projection
    /// (table row, or the layer below's rows) and its recurrent projection from the last step,
    /// h into `buffer` (the previous h is in the other one) and c.
    private func runGates(layer l: Int, chunk: Int, token: Int, buffer: Int) {
        let u = chunkUnits[chunk], n = u.count, offset = G * u.lowerBound
        let input = l == 0 ? table + token * G * H + offset : projected[l - 1] + chunkStart[l - 1][chunk]
        let recurrent = projected[l] + chunkStart[l][chunk] + aboveRows[l][chunk]
        let h = hidden[l][buffer] + u.lowerBound, hPrev = hidden[l][buffer ^ 1] + u.lowerBound
        cell.infer(
            CellInferenceStep(
                units: n, input: input, recurrent: recurrent, recurrentBias: recurrentBias[l].map { $0 + offset },
                gates: gates + offset, hPrev: hPrev, h: h, c: cell.hasCellState ? cells[l] + u.lowerBound : nil,
                cScratch: cell.hasCellState ? previous + u.lowerBound : nil))
    }

    enum Rows { case above, recurrent }

    /// projected_l = [W_ih_{l+1}; W_hh_l] h_l + bias on the chosen rows of `chunk`, on the
    /// calling thread, with h_l from `buffer` (the latest state by default).
    private func project(layer l: Int, chunk: Int, rows: Rows, buffer: Int? = nil) {
        let above = aboveRows[l][chunk], own = G * chunkUnits[chunk].count
        let (skip, count) = rows == .above ? (0, above) : (above, own)
        if count == 0 { return }
        let first = chunkStart[l][chunk] + skip
        // The bias first, then every run adds its products: this also brings the output lines
        // into cache before the product stores land on them one float at a time.
        (projected[l] + first).update(from: projectedBias[l] + first, count: count)
        let h = hidden[l][buffer ?? current]
        func multiply(_ runs: [Run]) {
            for run in runs {
                gemm(
                    transposeB: true, m: 1, n: run.rows, k: H, h, run.weights, beta: 1, projected[l] + run.output,
                    threads: 1)
            }
        }
        multiply(rows == .above ? aboveRuns[l][chunk] : recurrentRuns[l][chunk])
    }
}
