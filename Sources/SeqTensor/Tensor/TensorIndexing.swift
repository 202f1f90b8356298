extension Tensor {
    /// The element at one index per axis: `t[i, j]` of a matrix, `t[i, j, k]` of a rank-3 tensor.
    /// (`t[i]` is row i, a tensor without the first axis.) Setting it copies the storage first if
    /// it is shared.
    public subscript(_ first: Int, _ second: Int, _ rest: Int...) -> Float {
        get { pointer[offset(of: [first, second] + rest)] }
        set {
            let k = offset(of: [first, second] + rest)
            mutablePointer[k] = newValue
        }
    }

    /// The row-major position of the element at `indices` (one per axis, each in range).
    func offset(of indices: [Int]) -> Int {
        precondition(indices.count == rank, "Tensor\(shape): \(indices.count) indices for \(rank) axes")
        var k = 0
        for (i, n) in zip(indices, shape) {
            precondition(i >= 0 && i < n, "Tensor\(shape): index \(indices) out of range")
            k = k * n + i
        }
        return k
    }

    /// The index of the largest value along the last axis, for every row: (..., K) gives count / K
    /// indices in row-major order of the leading axes (the first one on ties, as PyTorch's
    /// `argmax(dim=-1)`): the predicted class of each row of logits (B, K), the greedy token.
    public func argmax() -> [Int] {
        precondition(rank >= 1 && shape[rank - 1] > 0, "argmax: tensor of shape \(shape) has no last axis to reduce")
        let columns = shape[rank - 1]
        return (0..<(count / columns)).map { Kernels.argmax(pointer + $0 * columns, count: columns) }
    }
}
