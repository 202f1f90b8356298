/// Differentiable arithmetic on variables: elementwise sums and products, matrix products,
/// the affine map of a Linear layer, reshaping and row selection. Each function computes its
/// value now and attaches its analytic backward to the result (`Graph`).

/// a + b, same shape; or b of shape (n,) added to every row of a (..., n) (a bias).
public func + (a: Variable, b: Variable) -> Variable {
    let rowBroadcast = a.shape != b.shape
    if rowBroadcast {
        precondition(
            b.value.rank == 1 && a.shape.last == b.shape[0],
            "add: shapes \(a.shape) and \(b.shape) neither match nor broadcast a row")
    }
    var y = a.value
    let n = b.value.count
    let yp = y.mutablePointer, bp = b.value.pointer
    for i in 0..<y.count { yp[i] += bp[rowBroadcast ? i % n : i] }
    return Graph.output(y, inputs: [a, b]) { g in
        if a.requiresGrad { a.accumulateGrad(g.pointer) }
        if b.requiresGrad {
            if rowBroadcast {
                let db = b.gradPointer(), gp = g.pointer
                for i in 0..<g.count { db[i % n] += gp[i] }
            } else {
                b.accumulateGrad(g.pointer)
            }
        }
    }
}

/// a - b, same shape.
public func - (a: Variable, b: Variable) -> Variable { a + (-1 * b) }

/// Elementwise product of two variables of the same shape.
public func * (a: Variable, b: Variable) -> Variable {
    precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
    var y = a.value
    let yp = y.mutablePointer, bp = b.value.pointer
    for i in 0..<y.count { yp[i] *= bp[i] }
    let av = a.value, bv = b.value
    return Graph.output(y, inputs: [a, b]) { g in
        let gp = g.pointer
        if a.requiresGrad {
            let da = a.gradPointer(), q = bv.pointer
            for i in 0..<g.count { da[i] += gp[i] * q[i] }
        }
        if b.requiresGrad {
            let db = b.gradPointer(), q = av.pointer
            for i in 0..<g.count { db[i] += gp[i] * q[i] }
        }
    }
}

/// A constant times a variable.
public func * (s: Float, a: Variable) -> Variable {
    var y = a.value
    let yp = y.mutablePointer
    for i in 0..<y.count { yp[i] *= s }
    return Graph.output(y, inputs: [a]) { g in
        let da = a.gradPointer(), gp = g.pointer
        for i in 0..<g.count { da[i] += s * gp[i] }
    }
}

/// Matrix product (m, k) x (k, n) -> (m, n).
public func matmul(_ a: Variable, _ b: Variable) -> Variable {
    precondition(
        a.value.rank == 2 && b.value.rank == 2 && a.shape[1] == b.shape[0],
        "matmul: shapes \(a.shape) and \(b.shape) do not chain")
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    var y = Tensor(uninitialized: [m, n])
    gemm(m: m, n: n, k: k, a.value.pointer, b.value.pointer, y.mutablePointer)
    let av = a.value, bv = b.value
    return Graph.output(y, inputs: [a, b]) { g in
        // dA = dY B^T ; dB = A^T dY
        if a.requiresGrad {
            gemm(transposeB: true, m: m, n: k, k: n, g.pointer, bv.pointer, beta: 1, a.gradPointer())
        }
        if b.requiresGrad {
            gemm(transposeA: true, m: k, n: n, k: m, av.pointer, g.pointer, beta: 1, b.gradPointer())
        }
    }
}

/// The affine map of a Linear layer: y = x W^T + b, x (N, in), W (out, in), b (out) -> (N, out).
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    precondition(
        x.value.rank == 2 && weight.value.rank == 2 && x.shape[1] == weight.shape[1],
        "linear: input \(x.shape) does not match weight \(weight.shape)")
    let rows = x.shape[0], inF = x.shape[1], outF = weight.shape[0]
    var y = Tensor(uninitialized: [rows, outF])
    let yp = y.mutablePointer
    if let bias { precondition(bias.shape == [outF], "linear: bias \(bias.shape) for weight \(weight.shape)") }
    gemm(
        transposeB: true, m: rows, n: outF, k: inF, x.value.pointer, weight.value.pointer,
        bias: bias?.value.pointer, yp)
    let xv = x.value, wv = weight.value
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        // dx = dy W ; dW = dy^T x ; db = column sums of dy
        if x.requiresGrad {
            gemm(m: rows, n: inF, k: outF, g.pointer, wv.pointer, beta: 1, x.gradPointer())
        }
        let biasGrad = bias.flatMap { $0.requiresGrad ? $0.gradPointer() : nil }
        if weight.requiresGrad {
            // db, the column sums of dy, from the product that packs dy anyway.
            gemm(
                transposedA: g.pointer, xv.pointer, m: outF, n: inF, k: rows, beta: 1, weight.gradPointer(),
                addingRowsOfAInto: biasGrad)
        } else if let biasGrad {
            Kernels.addColumnSums(g.pointer, rows: rows, columns: outF, into: biasGrad)
        }
    }
}

extension Variable {
    /// The same values under another shape (`-1` infers one axis); gradients reshape back.
    public func reshaped(_ shape: [Int]) -> Variable {
        let y = value.reshaped(shape)
        return Graph.output(y, inputs: [self]) { g in self.accumulateGrad(g.pointer) }
    }

    /// Rows `range` of the first axis.
    public func slice(_ range: Range<Int>) -> Variable {
        let y = value.slice(range)
        let inner = value.count / max(shape[0], 1)
        return Graph.output(y, inputs: [self]) { g in
            let dst = self.gradPointer() + range.lowerBound * inner, gp = g.pointer
            for i in 0..<g.count { dst[i] += gp[i] }
        }
    }

    /// Sum of all elements (a scalar).
    public func sum() -> Variable {
        var s: Float = 0
        let p = value.pointer
        for i in 0..<value.count { s += p[i] }
        return Graph.output(Tensor(scalar: s), inputs: [self]) { g in
            let d = self.gradPointer(), gv = g.item
            for i in 0..<self.value.count { d[i] += gv }
        }
    }

    /// Mean of all elements (a scalar).
    public func mean() -> Variable { (1 / Float(max(value.count, 1))) * sum() }
}

/// Variables of equal trailing shape joined along the first axis.
public func concatenate(_ parts: [Variable]) -> Variable {
    let y = Tensor.concatenating(parts.map(\.value))
    return Graph.output(y, inputs: parts) { g in
        var offset = 0
        for p in parts {
            if p.requiresGrad { p.accumulateGrad(g.pointer + offset) }
            offset += p.value.count
        }
    }
}

/// Variables of equal leading shape joined along their last axis: (..., a) and (..., b) -> (..., a + b).
public func concatenateLastAxis(_ parts: [Variable]) -> Variable {
    precondition(!parts.isEmpty, "concatenateLastAxis: no variables")
    let lead = Array(parts[0].shape.dropLast())
    let widths = parts.map { $0.shape.last ?? 1 }
    for p in parts {
        precondition(
            Array(p.shape.dropLast()) == lead, "concatenateLastAxis: \(p.shape) does not match \(parts[0].shape)")
    }
    let total = widths.reduce(0, +), rows = Tensor.elementCount(lead)
    var y = Tensor(uninitialized: lead + [total])
    let yp = y.mutablePointer
    var offset = 0
    for (p, w) in zip(parts, widths) {
        let src = p.value.pointer
        for r in 0..<rows { (yp + r * total + offset).update(from: src + r * w, count: w) }
        offset += w
    }
    return Graph.output(y, inputs: parts) { g in
        var offset = 0
        for (p, w) in zip(parts, widths) {
            if p.requiresGrad {
                let d = p.gradPointer(), gp = g.pointer
                for r in 0..<rows { for j in 0..<w { d[r * w + j] += gp[r * total + offset + j] } }
            }
            offset += w
        }
    }
}

/// Steps `range` of the last axis: (..., L) -> (..., range.count); the gradient flows back into
/// those steps (PyTorch's `x[..., a:b]`).
public func narrowLastAxis(_ x: Variable, _ range: Range<Int>) -> Variable {
    let L = x.shape.last ?? 0
    precondition(range.lowerBound >= 0 && range.upperBound <= L, "narrowLastAxis: \(range) outside 0..<\(L)")
    let lead = Array(x.shape.dropLast()), rows = Tensor.elementCount(lead), w = range.count
    var y = Tensor(uninitialized: lead + [w])
    let xp = x.value.pointer, yp = y.mutablePointer
    for r in 0..<rows { (yp + r * w).update(from: xp + r * L + range.lowerBound, count: w) }
    return Graph.output(y, inputs: [x]) { g in
        let d = x.gradPointer(), gp = g.pointer
        for r in 0..<rows { for j in 0..<w { d[r * L + range.lowerBound + j] += gp[r * w + j] } }
    }
}

extension Variable {
    /// Swaps the first two axes: (A, B, ...) -> (B, A, ...), e.g. batch-first <-> sequence-first.
    public func swappingFirstAxes() -> Variable {
        Graph.output(value.swappingFirstAxes(), inputs: [self]) { g in
            // g is (B, A, ...): swapped back, it lines up with the input.
            g.swappingFirstAxes().withUnsafeBufferPointer { self.accumulateGrad($0.baseAddress!) }
        }
    }
}
