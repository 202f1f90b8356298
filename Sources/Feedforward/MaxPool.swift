import SeqTensor

/// Max pooling of x (N, C, H, W) over windows (padding counts as -inf) -> (N, C, OH, OW), floor
/// mode as PyTorch's default. Backward sends each output's gradient to its window's arg-max.
public func maxPool2d(_ x: Variable, window: Window2D) -> Variable {
    precondition(x.value.rank == 4, "maxPool2d: input must be (N, C, H, W), got \(x.shape)")
    let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    let (OH, OW) = window.outputSize(height: H, width: W)
    precondition(OH > 0 && OW > 0, "maxPool2d: input \(x.shape) is smaller than the window \(window.kernel)")
    var y = Tensor(uninitialized: [N, C, OH, OW])
    var argmax = [Int](repeating: 0, count: N * C * OH * OW)
    let xp = x.value.pointer, yp = y.mutablePointer
    for plane in 0..<(N * C) {
        let src = xp + plane * H * W
        for oy in 0..<OH {
            for ox in 0..<OW {
                var best = -Float.infinity, at = -1
                for i in 0..<window.kernel.0 {
                    let iy = oy * window.stride.0 + i * window.dilation.0 - window.padding.0
                    guard iy >= 0 && iy < H else { continue }
                    for j in 0..<window.kernel.1 {
                        let ix = ox * window.stride.1 + j * window.dilation.1 - window.padding.1
                        guard ix >= 0 && ix < W else { continue }
                        let v = src[iy * W + ix]
                        if v > best || at < 0 || v.isNaN {
                            best = v
                            at = iy * W + ix
                        }
                    }
                }
                let o = (plane * OH + oy) * OW + ox
                yp[o] = best
                argmax[o] = plane * H * W + at
            }
        }
    }
    return Graph.output(y, inputs: [x]) { g in
        let d = x.gradPointer(), gp = g.pointer
        for (o, i) in argmax.enumerated() { d[i] += gp[o] }
    }
}

/// PyTorch's `nn.MaxPool2d(kernel, stride = kernel, padding = 0)`.
public final class MaxPool2D: Layer {
    /// Kernel, stride and padding.
    public let window: Window2D
    public var isTraining = true

    /// Windows of `kernel`, moving by `stride` (the kernel when nil).
    public init(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        window = Window2D(kernel: kernel, stride: stride ?? kernel, padding: padding)
    }

    public var summaryName: String { "MaxPool2D(\(window.kernel.0)x\(window.kernel.1))" }

    /// x (N, C, H, W) -> (N, C, H', W'): the maximum of each window.
    public func callAsFunction(_ x: Variable) -> Variable { maxPool2d(x, window: window) }
}

/// PyTorch's `nn.MaxPool1d(kernel, stride = kernel)` on (N, C, L), as 2-D pooling of height 1.
public final class MaxPool1D: Layer {
    /// Kernel, stride and padding (height 1).
    public let window: Window2D
    public var isTraining = true

    /// Windows of `kernel` steps, moving by `stride` (the kernel when nil).
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        window = Window2D(kernel: (1, kernel), stride: (1, stride ?? kernel), padding: (0, padding))
    }

    public var summaryName: String { "MaxPool1D(\(window.kernel.1))" }

    /// x (N, C, L) -> (N, C, L'): the maximum of each window.
    public func callAsFunction(_ x: Variable) -> Variable { maxPool1d(x, window: window) }
}

/// maxPool2d on x (N, C, L) viewed as (N, C, 1, L).
public func maxPool1d(_ x: Variable, window: Window2D) -> Variable {
    precondition(x.value.rank == 3, "maxPool1d: input must be (N, C, L), got \(x.shape)")
    let y = maxPool2d(x.reshaped([x.shape[0], x.shape[1], 1, x.shape[2]]), window: window)
    return y.reshaped([y.shape[0], y.shape[1], y.shape[3]])
}
