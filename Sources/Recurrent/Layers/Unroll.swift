import SeqTensor

/// One direction of one layer of any cell over a sequence, its step after step in autodiff
/// operations: input (T, B, I) -> output (T, B, H) and the final state's parts (B, H). The graph
/// gives backpropagation through time; cells with fused kernels run `recurrentSequence` instead,
/// with the same results (`ReferenceStepTests`).
///
/// `reverse` runs t = T-1 ... 0. With `lengths`, at t >= lengths[b] row b keeps its state, its
/// output is zero and no gradient flows through the step (rows are selected, not blended, so a
/// padded step's values never reach the result), so a reverse direction starts at each row's own
/// last step: PyTorch's packed sequences.
func unroll<Cell: RecurrentCell>(
    _ cell: Cell, _ input: Variable, from initial: Cell.State?, reverse: Bool, lengths: [Int]?
) -> (output: Variable, state: [Variable]) {
    let (T, B, H) = (input.shape[0], input.shape[1], cell.hiddenSize)
    precondition(
        input.value.rank == 3 && input.shape[2] == cell.inputSize,
        "\(cell.name): input \(input.shape) is not (T, B, \(cell.inputSize))")
    if let lengths {
        precondition(
            lengths.count == B && lengths.allSatisfy { $0 >= 0 && $0 <= T },
            "\(cell.name): lengths \(lengths) for batch \(B) and T=\(T)")
    }
    var state = initial ?? cell.zeroState(batch: B)
    let zeros = Variable(Tensor(zeros: [B, H]))
    var outputs = [Variable](repeating: zeros, count: T)
    for s in 0..<T {
        let t = reverse ? T - 1 - s : s
        let active = lengths.map { lengths in (0..<B).map { t < lengths[$0] } }
        if let active, !active.contains(true) { continue }
        let next = cell(input.slice(t..<(t + 1)).reshaped([B, cell.inputSize]), state: state)
        for part in next.parts {
            precondition(
                part.shape == [B, H], "\(cell.name): a state part of shape \(part.shape), expected [\(B), \(H)]")
        }
        if let active, active.contains(false) {
            state = Cell.State(parts: zip(next.parts, state.parts).map { selectingRows($0, $1, where: active) })
            outputs[t] = selectingRows(next.parts[0], zeros, where: active)
        } else {
            state = next
            outputs[t] = next.parts[0]
        }
    }
    return (concatenate(outputs.map { $0.reshaped([1, B, H]) }), state.parts)
}

/// Rows of `a` where `take` is true and of `b` elsewhere (a and b of one shape, `take` one value
/// per row of the first axis); the gradient goes to the row that was taken.
func selectingRows(_ a: Variable, _ b: Variable, where take: [Bool]) -> Variable {
    precondition(a.shape == b.shape && a.shape.first == take.count, "selectingRows: \(a.shape), \(b.shape)")
    let inner = a.value.count / max(take.count, 1)
    var y = b.value
    let yp = y.mutablePointer, ap = a.value.pointer
    for (r, row) in take.enumerated() where row { (yp + r * inner).update(from: ap + r * inner, count: inner) }
    return Graph.output(y, inputs: [a, b]) { g in
        let gp = g.pointer
        for (r, row) in take.enumerated() {
            let source = row ? a : b
            guard source.requiresGrad else { continue }
            let d = source.gradPointer() + r * inner
            for k in 0..<inner { d[k] += gp[r * inner + k] }
        }
    }
}
