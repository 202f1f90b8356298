import SeqTensor

/// The mean over time of each channel, PyTorch's `F.adaptive_avg_pool1d(x, 1)` without the
/// length-1 axis: x (N, C, L) -> (N, C). With `lengths` (N values in 1...L) sequence n is averaged
/// over its first lengths[n] steps only, so that padding does not dilute it (FCN over
/// variable-length series). dx[n][c][l] = dy[n][c] / length_n for l < length_n, else 0.
public func globalAveragePool1d(_ x: Variable, lengths: [Int]? = nil) -> Variable {
    precondition(x.value.rank == 3, "globalAveragePool1d: input \(x.shape), expected (N, C, L)")
    let (N, C, L) = (x.shape[0], x.shape[1], x.shape[2])
    if let lengths {
        precondition(
            lengths.count == N && lengths.allSatisfy { $0 >= 1 && $0 <= L },
            "globalAveragePool1d: lengths must be N = \(N) values in 1...\(L)")
    }
    let counts = lengths ?? Array(repeating: L, count: N)
    var y = Tensor(uninitialized: [N, C])
    let xp = x.value.pointer, yp = y.mutablePointer
    for n in 0..<N {
        for c in 0..<C {
            let row = xp + (n * C + c) * L
            var sum: Float = 0
            for l in 0..<counts[n] { sum += row[l] }
            yp[n * C + c] = sum / Float(counts[n])
        }
    }
    return Graph.output(y, inputs: [x]) { g in
        let gp = g.pointer, dx = x.gradPointer()
        for n in 0..<N {
            for c in 0..<C {
                let share = gp[n * C + c] / Float(counts[n])
                let row = dx + (n * C + c) * L
                for l in 0..<counts[n] { row[l] += share }
            }
        }
    }
}

/// Global average pooling over time as a layer: x (N, C, L) -> (N, C).
public final class GlobalAveragePool1d: Layer {
    public var isTraining = true

    /// The layer; it has no parameters.
    public init() {}

    public var summaryName: String { "GlobalAveragePool1d" }

    /// x (N, C, L) -> (N, C), the mean of each channel over L.
    public func callAsFunction(_ x: Variable) -> Variable { globalAveragePool1d(x) }
}
