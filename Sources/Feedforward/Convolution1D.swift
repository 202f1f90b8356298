import SeqTensor

/// conv1d of stride 1 and dilation 1 on x (N, C, L) with weight (O, C, k) plus bias (O), zero
/// padding `padding.before` steps before each series and `padding.after` after it:
/// (N, O, L'), L' = L + before + after - k + 1. PyTorch's `conv1d` (the kernel is not flipped).
///
/// One GEMM over the whole batch, without the im2col copy: the series are laid out channels-last
/// and padded, one after the other, xcl (N Lp, C) with Lp = before + L + after. The k C values an
/// output step reads are then contiguous (rows t ... t + k - 1 of xcl), so the rows of the im2col
/// matrix are overlapping windows of xcl, row r at xcl + r C (the GEMM reads them in place):
///
///     Y (M, O) = A (M, kC) W'^T + b,   A[r] = xcl[r*C ..< (r + k)*C],   W'[o][j C + c] = W[o][c][j]
///
/// Row r = n Lp + t is series n's step t; the rows whose window spans two series (t >= L') are
/// computed and dropped. Backward, with the gradient laid out the same way, gcl (M, O), zero on
/// the dropped rows:
///
///     dW'^T (kC, O) = A^T gcl,   db = column sums of gcl,
///     dxcl (N Lp, C) = G (N Lp, kO) Wf,   G[R] = gcl[(R - k + 1)*O ..< (R + 1)*O],
///     Wf[j O + o][c] = W[o][c][k - 1 - j]
///
/// (the input's gradient is the convolution of the gradient with the flipped kernel; G's rows
/// are again overlapping windows, of gcl with k - 1 zero rows in front).
public func conv1d(
    _ x: Variable, weight: Variable, bias: Variable?, padding: (before: Int, after: Int)
) -> Variable {
    precondition(
        x.value.rank == 3 && weight.value.rank == 3 && x.shape[1] == weight.shape[1],
        "conv1d: input \(x.shape) and weight \(weight.shape) do not match")
    precondition(padding.before >= 0 && padding.after >= 0, "conv1d: negative padding \(padding)")
    let (N, C, L) = (x.shape[0], x.shape[1], x.shape[2]), (O, k) = (weight.shape[0], weight.shape[2])
    let Lp = padding.before + L + padding.after, steps = Lp - k + 1
    precondition(steps > 0, "conv1d: input \(x.shape) padded by \(padding) is shorter than the kernel \(k)")
    if let bias { precondition(bias.shape == [O], "conv1d: bias \(bias.shape) for weight \(weight.shape)") }
    let rows = (N - 1) * Lp + steps, K = k * C

    var xcl = Tensor(uninitialized: [N * Lp, C])
    ChannelsLast.pad(x.value.pointer, series: N, channels: C, length: L, into: xcl.mutablePointer, padding: padding)
    let wv = weight.value
    var packed = Tensor(uninitialized: [O, K])
    ChannelsLast.windowWeights(wv.pointer, out: O, in: C, kernel: k, into: packed.mutablePointer, flipped: false)
    var ycl = Tensor(uninitialized: [rows, O])
    OverlappingRows.read(xcl.pointer, rows: rows, stride: C, width: K) { a, lda in
        gemm(
            transposeB: true, m: rows, n: O, k: K, a, lda: lda, packed.pointer, bias: bias?.value.pointer,
            ycl.mutablePointer)
    }
    var y = Tensor(uninitialized: [N, O, steps])
    ChannelsLast.unpad(ycl.pointer, series: N, rowsPerSeries: Lp, channels: O, length: steps, into: y.mutablePointer)

    let savedInput = xcl
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        // gcl: k - 1 zero rows, then the gradient channels-last, zero on the dropped rows.
        var gcl = Tensor(uninitialized: [k - 1 + N * Lp, O])
        ChannelsLast.pad(
            g.pointer, series: N, channels: O, length: steps, into: gcl.mutablePointer + (k - 1) * O,
            padding: (0, Lp - steps))
        (gcl.mutablePointer).update(repeating: 0, count: (k - 1) * O)
        let gp = gcl.pointer + (k - 1) * O
        if weight.requiresGrad {
            var dPacked = Tensor(uninitialized: [K, O])
            OverlappingRows.read(savedInput.pointer, rows: rows, stride: C, width: K) { a, lda in
                gemm(transposeA: true, m: K, n: O, k: rows, a, lda: lda, gp, dPacked.mutablePointer)
            }
            ChannelsLast.addWindowGradient(dPacked.pointer, out: O, in: C, kernel: k, into: weight.gradPointer())
        }
        if let bias, bias.requiresGrad {
            Kernels.addColumnSums(gp, rows: rows, columns: O, into: bias.gradPointer())
        }
        if x.requiresGrad {
            var flipped = Tensor(uninitialized: [k * O, C])
            ChannelsLast.windowWeights(
                wv.pointer, out: O, in: C, kernel: k, into: flipped.mutablePointer, flipped: true)
            var dxcl = Tensor(uninitialized: [N * Lp, C])
            OverlappingRows.read(gcl.pointer, rows: N * Lp, stride: O, width: k * O) { a, lda in
                gemm(m: N * Lp, n: C, k: k * O, a, lda: lda, flipped.pointer, dxcl.mutablePointer)
            }
            ChannelsLast.unpad(
                dxcl.pointer + padding.before * C, series: N, rowsPerSeries: Lp, channels: C, length: L,
                into: x.gradPointer(), adding: true)
        }
    }
}

/// "Same" padding of a kernel of `kernelSize` taps spaced `dilation` apart, as PyTorch's
/// `padding='same'` and Keras pad: d (k - 1) zeros in all, the extra one of an even kernel after.
public func samePadding(kernelSize: Int, dilation: Int = 1) -> (before: Int, after: Int) {
    let total = dilation * (kernelSize - 1)
    return (total / 2, total - total / 2)
}

/// The layout changes of the channels-last convolution, between (N, C, L) series and rows of
/// channels (one row per step).
enum ChannelsLast {
    /// dst (N Lp, C), Lp = before + L + after: series n's step t at row n Lp + before + t, zero
    /// rows around it; from src (N, C, L).
    static func pad(
        _ src: UnsafePointer<Float>, series N: Int, channels C: Int, length L: Int,
        into dst: UnsafeMutablePointer<Float>, padding: (before: Int, after: Int)
    ) {
        let Lp = padding.before + L + padding.after
        Parallel.forEach(Parallel.elementThreads(N * Lp * C), sharing: (src, dst)) { shared, part, parts in
            let (src, dst) = shared
            for n in Parallel.range(of: N, part: part, of: parts) {
                let block = dst + n * Lp * C
                block.update(repeating: 0, count: padding.before * C)
                (block + (padding.before + L) * C).update(repeating: 0, count: padding.after * C)
                Kernels.transpose(src + n * C * L, rows: C, columns: L, into: block + padding.before * C)
            }
        }
    }

    /// dst (N, C, L) = (or += when `adding`) src's rows n Lp + t (t < L) of C channels.
    static func unpad(
        _ src: UnsafePointer<Float>, series N: Int, rowsPerSeries Lp: Int, channels C: Int, length L: Int,
        into dst: UnsafeMutablePointer<Float>, adding: Bool = false
    ) {
        Parallel.forEach(Parallel.elementThreads(N * L * C), sharing: (src, dst)) { shared, part, parts in
            let (src, dst) = shared
            for n in Parallel.range(of: N, part: part, of: parts) {
                Kernels.transpose(src + n * Lp * C, rows: L, columns: C, into: dst + n * C * L, adding: adding)
            }
        }
    }

    /// The weight (O, C, k) as the rows the GEMM multiplies: W'[o][j C + c] = W[o][c][j] (O, kC),
    /// or, `flipped`, Wf[j O + o][c] = W[o][c][k - 1 - j] (kO, C).
    static func windowWeights(
        _ w: UnsafePointer<Float>, out O: Int, in C: Int, kernel k: Int, into dst: UnsafeMutablePointer<Float>,
        flipped: Bool
    ) {
        for o in 0..<O {
            for c in 0..<C {
                let taps = w + (o * C + c) * k
                for j in 0..<k {
                    if flipped {
                        dst[((k - 1 - j) * O + o) * C + c] = taps[j]
                    } else {
                        dst[o * k * C + j * C + c] = taps[j]
                    }
                }
            }
        }
    }

    /// dW[o][c][j] += d[(j C + c) O + o]: the gradient of W'^T (kC, O) back onto the weight.
    static func addWindowGradient(
        _ d: UnsafePointer<Float>, out O: Int, in C: Int, kernel k: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<O {
            for c in 0..<C {
                let taps = dw + (o * C + c) * k
                for j in 0..<k { taps[j] += d[(j * C + c) * O + o] }
            }
        }
    }
}

/// Rows of a matrix that overlap: row r is the `width` floats from base + r * stride, stride <
/// width (the windows of a channels-last convolution).
enum OverlappingRows {
    /// Calls `body` with the rows as a matrix `gemm` reads, and its row stride: the rows in
    /// place for the native GEMM; for OpenBLAS, whose row stride must be at least the width, a
    /// packed copy.
    static func read(
        _ base: UnsafePointer<Float>, rows: Int, stride: Int, width: Int,
        _ body: (UnsafePointer<Float>, Int) -> Void
    ) {
        if GemmBackend.current == .native || stride >= width {
            body(base, stride)
            return
        }
        var copy = Tensor(uninitialized: [rows, width])
        let p = copy.mutablePointer
        for r in 0..<rows { (p + r * width).update(from: base + r * stride, count: width) }
        body(copy.pointer, width)
    }
}
