import SeqTensor

/// Geometry of a 2-D sliding window: kernel, stride, zero padding and dilation per axis.
public struct Window2D: Equatable, Sendable {
    /// Per axis (height, width): the window's extent, its step, the zeros added on each side, and
    /// the spacing of its taps.
    public var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)

    /// A window of `kernel` taps per axis, PyTorch's defaults for the rest.
    public init(
        kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
    ) {
        precondition(
            kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0
                && dilation.0 > 0 && dilation.1 > 0,
            "Window2D: kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation)")
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// floor((n + 2p - d(k-1) - 1)/s) + 1 per axis.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        let oh = (height + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let ow = (width + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        return (oh, ow)
    }

    /// Equal kernel, stride, padding and dilation.
    public static func == (a: Window2D, b: Window2D) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }
}

/// Cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw) plus bias (O) -> (N, O, OH, OW),
/// as PyTorch's `conv2d` (the kernel is not flipped; zero padding).
///
/// im2col + GEMM: per image, cols (C*kh*kw, OH*OW) gathers every window, and
/// out = W (O, C*kh*kw) . cols. Backward: dW += dOut . cols^T, dcols = W^T . dOut, and col2im
/// adds dcols back onto the input positions.
public func conv2d(_ x: Variable, weight: Variable, bias: Variable?, window: Window2D) -> Variable {
    precondition(
        x.value.rank == 4 && weight.value.rank == 4 && x.shape[1] == weight.shape[1]
            && weight.shape[2] == window.kernel.0 && weight.shape[3] == window.kernel.1,
        "conv2d: input \(x.shape) and weight \(weight.shape) do not match")
    let N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], O = weight.shape[0]
    let (OH, OW) = window.outputSize(height: H, width: W)
    precondition(OH > 0 && OW > 0, "conv2d: input \(x.shape) is smaller than the kernel \(window.kernel)")
    let K = C * window.kernel.0 * window.kernel.1, P = OH * OW
    var cols = Tensor(uninitialized: [N, K, P])
    let colp = cols.mutablePointer, xp = x.value.pointer
    for n in 0..<N {
        im2col(xp + n * C * H * W, colp + n * K * P, channels: C, height: H, width: W, window: window, out: (OH, OW))
    }
    var y = Tensor(uninitialized: [N, O, OH, OW])
    let yp = y.mutablePointer
    for n in 0..<N {
        let yn = yp + n * O * P
        if let bias {
            for o in 0..<O { (yn + o * P).update(repeating: bias.value.pointer[o], count: P) }
        }
        gemm(m: O, n: P, k: K, weight.value.pointer, colp + n * K * P, beta: bias == nil ? 0 : 1, yn)
    }
    let savedCols = cols, wv = weight.value
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        let gp = g.pointer, cp = savedCols.pointer
        if weight.requiresGrad {
            let dw = weight.gradPointer()
            for n in 0..<N { gemm(transposeB: true, m: O, n: K, k: P, gp + n * O * P, cp + n * K * P, beta: 1, dw) }
        }
        if let bias, bias.requiresGrad {
            let db = bias.gradPointer()
            for n in 0..<N { for o in 0..<O { for p in 0..<P { db[o] += gp[n * O * P + o * P + p] } } }
        }
        if x.requiresGrad {
            var dcols = Tensor(uninitialized: [K, P])
            let dc = dcols.mutablePointer, dx = x.gradPointer()
            for n in 0..<N {
                gemm(transposeA: true, m: K, n: P, k: O, wv.pointer, gp + n * O * P, beta: 0, dc)
                col2imAdd(dc, dx + n * C * H * W, channels: C, height: H, width: W, window: window, out: (OH, OW))
            }
        }
    }
}

/// cols[(c, i, j), (oy, ox)] = x[c, oy*s + i*d - p, ox*s + j*d - p], zero outside the image.
func im2col(
    _ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, channels C: Int, height H: Int, width W: Int,
    window w: Window2D, out: (Int, Int)
) {
    let (OH, OW) = out
    var row = 0
    for c in 0..<C {
        for i in 0..<w.kernel.0 {
            for j in 0..<w.kernel.1 {
                let dst = cols + row * OH * OW
                for oy in 0..<OH {
                    let iy = oy * w.stride.0 + i * w.dilation.0 - w.padding.0
                    for ox in 0..<OW {
                        let ix = ox * w.stride.1 + j * w.dilation.1 - w.padding.1
                        dst[oy * OW + ox] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(c * H + iy) * W + ix] : 0
                    }
                }
                row += 1
            }
        }
    }
}

/// The adjoint of `im2col`: adds each column entry back onto the input position it came from.
func col2imAdd(
    _ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, channels C: Int, height H: Int, width W: Int,
    window w: Window2D, out: (Int, Int)
) {
    let (OH, OW) = out
    var row = 0
    for c in 0..<C {
        for i in 0..<w.kernel.0 {
            for j in 0..<w.kernel.1 {
                let src = cols + row * OH * OW
                for oy in 0..<OH {
                    let iy = oy * w.stride.0 + i * w.dilation.0 - w.padding.0
                    guard iy >= 0 && iy < H else { continue }
                    for ox in 0..<OW {
                        let ix = ox * w.stride.1 + j * w.dilation.1 - w.padding.1
                        if ix >= 0 && ix < W { dx[(c * H + iy) * W + ix] += src[oy * OW + ox] }
                    }
                }
                row += 1
            }
        }
    }
}

/// PyTorch's `nn.Conv2d`: input (N, C, H, W), weight (out, in, kh, kw), default init uniform in
/// ±1/sqrt(in*kh*kw) for weight and bias.
public final class Conv2D: Layer {
    /// Channels of the input (C) and of the output (one per filter).
    public let inChannels: Int, outChannels: Int
    /// Kernel, stride, padding and dilation.
    public let window: Window2D
    /// The filters (out, in, kh, kw).
    public let weight: Parameter
    /// One value per output channel, or nil without bias.
    public let bias: Parameter?
    public var isTraining = true

    /// `nn.Conv2d(inChannels, outChannels, kernel, stride, padding, dilation, bias)`.
    public init(
        inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), bias: Bool = true, random: RandomSource
    ) {
        precondition(inChannels > 0 && outChannels > 0, "Conv2D: channel counts must be positive")
        self.inChannels = inChannels
        self.outChannels = outChannels
        window = Window2D(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        let fanIn = inChannels * kernel.0 * kernel.1
        weight = Parameter(
            defaultUniform([outChannels, inChannels, kernel.0, kernel.1], fanIn: fanIn, random: random), name: "weight")
        self.bias = bias ? Parameter(defaultUniform([outChannels], fanIn: fanIn, random: random), name: "bias") : nil
    }

    public var directParameters: [(String, Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
    public var summaryName: String {
        "Conv2D(\(inChannels)->\(outChannels), k=\(window.kernel.0)x\(window.kernel.1), s=\(window.stride.0), "
            + "p=\(window.padding.0))"
    }

    /// x (N, C, H, W) -> (N, out, H', W'), H' and W' from `Window2D.outputSize(height:width:)`.
    public func callAsFunction(_ x: Variable) -> Variable { conv2d(x, weight: weight, bias: bias, window: window) }
}

/// PyTorch's `nn.Conv1d`: input (N, C, L), weight (out, in, k). Stride 1 and dilation 1 run as
/// one GEMM over the batch without an im2col copy (`conv1d(_:weight:bias:padding:)`); other
/// strides and dilations as a 2-D convolution of height 1.
public final class Conv1D: Layer {
    /// Channels of the input (C) and of the output (one per filter), and the filters' length.
    public let inChannels: Int, outChannels: Int, kernelSize: Int
    /// The window as a 2-D one of height 1 (its padding is the padding before each series).
    public let window: Window2D
    /// Zeros added before and after each series.
    public let padding: (before: Int, after: Int)
    /// The filters (out, in, k).
    public let weight: Parameter
    /// One value per output channel, or nil without bias.
    public let bias: Parameter?
    public var isTraining = true

    /// `nn.Conv1d(inChannels, outChannels, kernelSize, stride, padding, dilation, bias)`.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        bias: Bool = true, random: RandomSource
    ) {
        self.init(inChannels, outChannels, kernelSize, stride, (padding, padding), dilation, bias, random)
    }

    /// A convolution of stride 1 with `padding.before` zeros before each series and
    /// `padding.after` after it: `samePadding(kernelSize:dilation:)` gives PyTorch's `padding='same'`.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, padding: (before: Int, after: Int), bias: Bool = true,
        random: RandomSource
    ) {
        self.init(inChannels, outChannels, kernelSize, 1, padding, 1, bias, random)
    }

    private init(
        _ inChannels: Int, _ outChannels: Int, _ kernelSize: Int, _ stride: Int, _ padding: (before: Int, after: Int),
        _ dilation: Int, _ bias: Bool, _ random: RandomSource
    ) {
        precondition(inChannels > 0 && outChannels > 0, "Conv1D: channel counts must be positive")
        precondition(padding.after >= 0, "Conv1D: negative padding \(padding)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        window = Window2D(
            kernel: (1, kernelSize), stride: (1, stride), padding: (0, padding.before), dilation: (1, dilation))
        self.padding = padding
        let fanIn = inChannels * kernelSize
        weight = Parameter(
            defaultUniform([outChannels, inChannels, kernelSize], fanIn: fanIn, random: random), name: "weight")
        self.bias = bias ? Parameter(defaultUniform([outChannels], fanIn: fanIn, random: random), name: "bias") : nil
    }

    public var directParameters: [(String, Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
    public var summaryName: String {
        let pad = padding.before == padding.after ? "\(padding.before)" : "(\(padding.before), \(padding.after))"
        return "Conv1D(\(inChannels)->\(outChannels), k=\(kernelSize), s=\(window.stride.1), p=\(pad))"
    }

    /// x (N, C, L) -> (N, out, L'), L' = floor((L + before + after - d(k - 1) - 1) / s) + 1.
    public func callAsFunction(_ x: Variable) -> Variable {
        window.stride.1 == 1 && window.dilation.1 == 1
            ? conv1d(x, weight: weight, bias: bias, padding: padding)
            : conv1d(x, weight: weight, bias: bias, window: window)
    }
}

/// conv1d on x (N, C, L) with weight (O, C, k): stride 1 and dilation 1 as
/// `conv1d(_:weight:bias:padding:)`, others as the 2-D convolution of x as (N, C, 1, L).
public func conv1d(_ x: Variable, weight: Variable, bias: Variable?, window: Window2D) -> Variable {
    precondition(
        x.value.rank == 3 && weight.value.rank == 3,
        "conv1d: input \(x.shape) and weight \(weight.shape) must be rank 3")
    if window.stride.1 == 1 && window.dilation.1 == 1 {
        return conv1d(x, weight: weight, bias: bias, padding: (window.padding.1, window.padding.1))
    }
    let n = x.shape[0], c = x.shape[1], l = x.shape[2]
    let w4 = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]])
    let y = conv2d(x.reshaped([n, c, 1, l]), weight: w4, bias: bias, window: window)
    return y.reshaped([n, y.shape[1], y.shape[3]])
}
