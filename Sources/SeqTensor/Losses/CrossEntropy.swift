/// How a loss folds its per-element terms into one number (PyTorch's `reduction`).
public enum LossReduction: String, Sendable {
    case mean, sum
}

/// Fused softmax cross-entropy over rows of logits (N, C) with integer class targets (N).
///
/// loss = (1/K) * sum over counted rows n of [logsumexp(x_n) - x_n[target_n]], K the number of
/// counted rows: rows whose target equals `ignoreIndex`, or whose `mask` entry is 0, do not count
/// (PyTorch's `ignore_index`; a mask is the same for padded sequences). The log-sum-exp is
/// max-subtracted, so logits of ±1e4 are exact. The gradient, (softmax(x_n) - onehot)/K on
/// counted rows, is computed in the same pass when backward will need it.
public func crossEntropy(
    logits: Variable, targets: [Int], ignoreIndex: Int? = nil, mask: [Float]? = nil,
    reduction: LossReduction = .mean
) -> Variable {
    precondition(logits.value.rank == 2, "crossEntropy: logits must be (N, C), got \(logits.shape)")
    let rows = logits.shape[0], classes = logits.shape[1]
    precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows")
    if let mask { precondition(mask.count == rows, "crossEntropy: mask of \(mask.count) for \(rows) rows") }
    @Sendable func counted(_ r: Int) -> Bool {
        if let ignoreIndex, targets[r] == ignoreIndex { return false }
        if let mask, mask[r] == 0 { return false }
        return true
    }
    var countedRows = 0
    for r in 0..<rows where counted(r) {
        precondition(
            targets[r] >= 0 && targets[r] < classes,
            "crossEntropy: target \(targets[r]) outside 0..<\(classes) at row \(r)")
        countedRows += 1
    }
    let scale: Float = reduction == .mean ? 1 / Float(max(countedRows, 1)) : 1
    let needsGrad = Graph.needsGrad([logits])
    // dLogits holds softmax(x) - onehot, scaled; without backward it is only scratch, one row a thread.
    let threads = Parallel.elementThreads(rows * classes)
    var dLogits = Tensor(uninitialized: needsGrad ? [rows, classes] : [threads, classes])
    // Rows are independent: threads take row ranges, each row's term lands in `terms`, and the
    // terms are added in row order after, the same sum whatever the threads.
    let terms = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer { terms.deallocate() }
    Parallel.forEach(threads, sharing: (dLogits.mutablePointer, logits.value.pointer, terms)) { shared, part, parts in
        let (dp, xp, terms) = shared
        for r in Parallel.range(of: rows, part: part, of: parts) {
            let xr = xp + r * classes
            let scratch = dp + (needsGrad ? r : part) * classes
            guard counted(r) else {
                if needsGrad { scratch.initialize(repeating: 0, count: classes) }
                continue
            }
            let (mx, sum) = Kernels.shiftedExp(xr, columns: classes, scratch: scratch)
            terms[r] = mx + VectorMath.log(sum) - xr[targets[r]]
            if needsGrad {
                // scratch holds exp(x - max); softmax scaled by 1/K is scratch * scale / sum.
                let norm = scale / sum
                for j in 0..<classes { scratch[j] *= norm }
                scratch[targets[r]] -= scale
            }
        }
    }
    var total: Double = 0
    for r in 0..<rows where counted(r) { total += Double(terms[r]) }
    let loss = Tensor(scalar: Float(total) * scale)
    let saved = dLogits
    return Graph.output(loss, inputs: [logits]) { g in
        let d = logits.gradPointer(), s = saved.pointer, gv = g.item
        for i in 0..<(rows * classes) { d[i] += gv * s[i] }
    }
}
