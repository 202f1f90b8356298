import SeqTensor

/// The sizes of one layer-direction over a sequence and the order it visits the steps in,
/// shared by its forward and backward.
struct SequenceShape<Cell: CellKernels>: Sendable {
    let cell: Cell
    let T: Int, B: Int, H: Int, GH: Int
    let reverse: Bool
    let lengths: [Int]?
    /// Threads that each run the whole sequence for their rows of the batch, and the threads
    /// each of their products may use.
    let rowThreads: Int, gemmThreads: Int

    var BH: Int { B * H }
    var BGH: Int { B * GH }

    init(
        _ cell: Cell, _ source: RecurrentInput, weights: RecurrentWeights, h0: Variable?, c0: Variable?,
        reverse: Bool, lengths: [Int]?
    ) {
        let GH = weights.weightHH.shape[0], H = weights.weightHH.shape[1]
        let T: Int, B: Int
        switch source {
        case .features(let input):
            precondition(input.value.rank == 3, "recurrent: input must be (T, B, I), got \(input.shape)")
            (T, B) = (input.shape[0], input.shape[1])
            precondition(
                weights.weightIH.shape == [GH, input.shape[2]],
                "recurrent: weight_ih \(weights.weightIH.shape) does not match input \(input.shape) and H=\(H)")
        case .tokens(let ids, let steps, let batch, let table):
            (T, B) = (steps, batch)
            precondition(ids.count == T * B, "recurrent: \(ids.count) tokens for T=\(T), B=\(B)")
            precondition(
                table.value.rank == 2 && table.shape[1] == GH,
                "recurrent: table \(table.shape) is not (V, \(GH))")
            precondition(
                ids.allSatisfy { $0 >= 0 && $0 < table.shape[0] },
                "recurrent: token outside 0..<\(table.shape[0])")
        }
        precondition(
            GH == cell.gateCount * H,
            "recurrent: weight_hh \(weights.weightHH.shape) is not (\(cell.gateCount)*H, H)")
        if let h0 { precondition(h0.shape == [B, H], "recurrent: h0 \(h0.shape), expected [\(B), \(H)]") }
        if let c0 { precondition(c0.shape == [B, H], "recurrent: c0 \(c0.shape), expected [\(B), \(H)]") }
        if let lengths {
            precondition(
                lengths.count == B && lengths.allSatisfy { $0 >= 0 && $0 <= T },
                "recurrent: lengths \(lengths) for batch \(B) and T=\(T)")
        }
        (self.cell, self.T, self.B, self.H, self.GH, self.reverse, self.lengths) = (cell, T, B, H, GH, reverse, lengths)
        // Rows of the batch never meet inside the recurrence, so each thread runs the whole
        // sequence for its own rows: no synchronisation per step, and the gate kernels run in
        // parallel too.
        rowThreads = Parallel.rowThreads(rows: B, work: T * B * GH * H)
        gemmThreads = rowThreads == 1 ? BLASThreads.current : 1
    }

    /// The time index of forward step s, and the state indices before and after it. States by
    /// time: forward S[0] = h0, S[t+1] after input t; reverse S[T] = h0, S[t] after input t.
    func step(_ s: Int) -> (t: Int, prev: Int, cur: Int) {
        let t = reverse ? T - 1 - s : s
        return (t, reverse ? t + 1 : t, reverse ? t : t + 1)
    }

    /// Calls `body` with each row of `rows` whose sequence has ended by step t (no allocation).
    func forEachFinished(_ t: Int, _ rows: Range<Int>, _ body: (Int) -> Void) {
        guard let lengths else { return }
        for b in rows where t >= lengths[b] { body(b) }
    }
}
