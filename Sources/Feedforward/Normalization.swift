import SeqTensor

/// Batch normalisation over the channels of x (N, C) or (N, C, L), PyTorch's `F.batch_norm`:
/// per channel, over the n = N (or N L) values it has,
///
///     training:  mean = sum x / n,  var = sum (x - mean)^2 / n   (biased)
///                running_mean = (1 - momentum) running_mean + momentum mean
///                running_var  = (1 - momentum) running_var + momentum var n / (n - 1)
///     inference: mean = running_mean, var = running_var
///     y = (x - mean) / sqrt(var + eps) * weight + bias
///
/// Backward, with x^ = (x - mean) / sqrt(var + eps) and dx^ = dy weight: in training the batch
/// statistics depend on x, so dx = (n dx^ - sum dx^ - x^ sum(dx^ x^)) / (n sqrt(var + eps));
/// in inference dx = dx^ / sqrt(var + eps). dweight = sum dy x^, dbias = sum dy.
/// The running statistics are updated in place (in training), as PyTorch's buffers are.
public func batchNorm(
    _ x: Variable, weight: Variable?, bias: Variable?, runningMean: Variable, runningVar: Variable,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Variable {
    let shape = x.shape
    precondition(shape.count == 2 || shape.count == 3, "batchNorm: input \(shape), expected (N, C) or (N, C, L)")
    let (N, C, L) = (shape[0], shape[1], shape.count == 3 ? shape[2] : 1)
    precondition(runningMean.shape == [C] && runningVar.shape == [C], "batchNorm: running statistics are not (\(C))")
    let n = N * L
    precondition(!training || n > 1, "batchNorm: training needs more than one value per channel, got \(shape)")
    let runs = ChannelRuns(N: N, C: C, L: L)
    // mean[c] and 1 / sqrt(var[c] + eps): sums in double, one pass for the mean and one for the
    // squared deviations; channels split over the threads.
    var statistics = Tensor(uninitialized: [2, C])
    let mean = statistics.mutablePointer, invStd = mean + C
    if training {
        let rm = runningMean.value.mutablePointer, rv = runningVar.value.mutablePointer
        Parallel.forEach(runs.threads, sharing: (x.value.pointer, mean, rm, rv)) { shared, part, parts in
            let (xp, mean, rm, rv) = shared
            for c in Parallel.range(of: C, part: part, of: parts) {
                var sum = 0.0
                runs.forEach(c) { i, count in sum += Kernels.sum(xp + i, count: count) }
                let m = sum / Double(n)
                var squares = 0.0
                runs.forEach(c) { i, count in squares += Kernels.sumOfSquaredDeviations(xp + i, count: count, from: m) }
                let variance = squares / Double(n)
                mean[c] = Float(m)
                mean[C + c] = Float(1 / (variance + Double(eps)).squareRoot())
                rm[c] = (1 - momentum) * rm[c] + momentum * Float(m)
                rv[c] = (1 - momentum) * rv[c] + momentum * Float(variance * Double(n) / Double(n - 1))
            }
        }
    } else {
        for c in 0..<C {
            mean[c] = runningMean.value.pointer[c]
            invStd[c] = 1 / (runningVar.value.pointer[c] + eps).squareRoot()
        }
    }
    let weightValue = weight?.value
    var normalized = Tensor(uninitialized: shape)
    var y = Tensor(uninitialized: shape)
    let shared = (x.value.pointer, normalized.mutablePointer, y.mutablePointer, statistics.pointer)
    let (wp, bp) = (weightValue?.pointer, bias?.value.pointer)
    // x^ = (x - mean) invStd, y = x^ weight + bias.
    Parallel.forEach(runs.threads, sharing: (shared, wp, bp)) { shared, part, parts in
        let ((xp, np, yp, statistics), wp, bp) = shared
        for c in Parallel.range(of: C, part: part, of: parts) {
            let (m, s, w, b) = (statistics[c], statistics[C + c], wp?[c] ?? 1, bp?[c] ?? 0)
            runs.forEach(c) { i, count in
                ChannelRuns.map(count, (xp + i, np + i, yp + i)) { x in
                    let normal = (x - m) * s
                    return (normal, normal * w + b)
                }
            }
        }
    }
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        // Per channel: sum dy and sum dy x^ (in double), then dx.
        let dw = weight?.requiresGrad == true ? weight!.gradPointer() : nil
        let db = bias?.requiresGrad == true ? bias!.gradPointer() : nil
        let dx = x.requiresGrad ? x.gradPointer() : nil
        let shared = (g.pointer, normalized.pointer, statistics.pointer, weightValue?.pointer)
        Parallel.forEach(runs.threads, sharing: (shared, dw, db, dx)) { shared, part, parts in
            let ((gp, np, statistics, wp), dw, db, dx) = shared
            for c in Parallel.range(of: C, part: part, of: parts) {
                var sumDy = 0.0, sumDyX = 0.0
                runs.forEach(c) { i, count in
                    sumDy += Kernels.sum(gp + i, count: count)
                    sumDyX += Kernels.dot(gp + i, np + i, count: count)
                }
                dw?[c] += Float(sumDyX)
                db?[c] += Float(sumDy)
                guard let dx else { continue }
                let scale = (wp?[c] ?? 1) * statistics[C + c]
                // In training, sum dx^ = w sum dy and sum dx^ x^ = w sum dy x^ (the statistics
                // depend on x); in inference only the scale does.
                let meanDy = training ? Float(sumDy / Double(n)) : 0, meanDyX = training ? Float(sumDyX / Double(n)) : 0
                runs.forEach(c) { i, count in
                    ChannelRuns.accumulate(count, (gp + i, np + i, dx + i)) { g, normal in
                        scale * (g - meanDy - normal * meanDyX)
                    }
                }
            }
        }
    }
}

/// Where channel c's values lie in x (N, C, L): N runs of L contiguous floats, C L apart; and how
/// many threads a pass over them takes.
struct ChannelRuns: Sendable {
    let N: Int, C: Int, L: Int

    var threads: Int { min(C, Parallel.elementThreads(N * C * L)) }

    /// Calls `body(start, count)` for each run of channel c.
    @inline(__always)
    func forEach(_ c: Int, _ body: (Int, Int) -> Void) {
        for b in 0..<N { body((b * C + c) * L, L) }
    }

    /// For i < count: (a[i], b[i]) = f(x[i]), eight lanes at a time.
    @inline(__always)
    static func map(
        _ count: Int, _ p: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>),
        _ f: (SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>)
    ) {
        let (x, a, b) = p
        var i = 0
        while i + 8 <= count {
            let (u, v) = f(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(a + i).storeBytes(of: u, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(b + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let (u, v) = f(SIMD8(repeating: x[i]))
            (a[i], b[i]) = (u[0], v[0])
            i += 1
        }
    }

    /// For i < count: d[i] += f(g[i], x[i]), eight lanes at a time.
    @inline(__always)
    static func accumulate(
        _ count: Int, _ p: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>),
        _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>
    ) {
        let (g, x, d) = p
        var i = 0
        while i + 8 <= count {
            let v = f(
                UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self),
                UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            let old = UnsafeRawPointer(d + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(d + i).storeBytes(of: old + v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            d[i] += f(SIMD8(repeating: g[i]), SIMD8(repeating: x[i]))[0]
            i += 1
        }
    }
}

/// Layer normalisation over the last axis, PyTorch's `F.layer_norm` with `normalized_shape` =
/// [H]: each row of H values is normalised on its own (biased variance), then scaled and shifted,
///
///     y = (x - mean) / sqrt(mean((x - mean)^2) + eps) * weight + bias
///
/// Backward per row, with dx^ = dy weight: dx = (dx^ - mean(dx^) - x^ mean(dx^ x^)) / sqrt(var + eps).
public func layerNorm(_ x: Variable, weight: Variable?, bias: Variable?, eps: Float = 1e-5) -> Variable {
    let H = x.shape.last ?? 0
    precondition(H > 0, "layerNorm: input \(x.shape) has no last axis")
    let rows = x.value.count / H
    let weightValue = weight?.value
    let xp = x.value.pointer, wp = weightValue?.pointer, bp = bias?.value.pointer
    var normalized = Tensor(uninitialized: x.shape), y = Tensor(uninitialized: x.shape)
    var invStd = [Float](repeating: 0, count: rows)
    let np = normalized.mutablePointer, yp = y.mutablePointer
    for r in 0..<rows {
        let row = xp + r * H
        var sum = 0.0
        for j in 0..<H { sum += Double(row[j]) }
        let mean = sum / Double(H)
        var squares = 0.0
        for j in 0..<H { squares += (Double(row[j]) - mean) * (Double(row[j]) - mean) }
        invStd[r] = Float(1 / (squares / Double(H) + Double(eps)).squareRoot())
        for j in 0..<H {
            np[r * H + j] = (row[j] - Float(mean)) * invStd[r]
            yp[r * H + j] = np[r * H + j] * (wp?[j] ?? 1) + (bp?[j] ?? 0)
        }
    }
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        let gp = g.pointer, np = normalized.pointer, wp = weightValue?.pointer
        if let weight, weight.requiresGrad {
            let dw = weight.gradPointer()
            for r in 0..<rows { for j in 0..<H { dw[j] += gp[r * H + j] * np[r * H + j] } }
        }
        if let bias, bias.requiresGrad {
            let db = bias.gradPointer()
            for r in 0..<rows { for j in 0..<H { db[j] += gp[r * H + j] } }
        }
        guard x.requiresGrad else { return }
        let dx = x.gradPointer()
        for r in 0..<rows {
            var sumDxHat = 0.0, sumDxHatX = 0.0
            for j in 0..<H {
                let dxHat = Double(gp[r * H + j]) * Double(wp?[j] ?? 1)
                sumDxHat += dxHat
                sumDxHatX += dxHat * Double(np[r * H + j])
            }
            let (meanDxHat, meanDxHatX) = (Float(sumDxHat / Double(H)), Float(sumDxHatX / Double(H)))
            for j in 0..<H {
                let dxHat = gp[r * H + j] * (wp?[j] ?? 1)
                dx[r * H + j] += invStd[r] * (dxHat - meanDxHat - np[r * H + j] * meanDxHatX)
            }
        }
    }
}

/// PyTorch's `nn.BatchNorm1d(numFeatures, eps, momentum, affine)` with running statistics: input
/// (N, C) or (N, C, L), C = `numFeatures`; batch statistics in training mode, the running ones
/// in inference mode. Saved as `weight`, `bias`, `running_mean`, `running_var`.
public final class BatchNorm1d: Layer {
    /// Channels (C).
    public let numFeatures: Int
    /// Added to the variance before the square root, and the running statistics' update rate.
    public let eps: Float, momentum: Float
    /// The scale and shift per channel (C), starting at 1 and 0; nil without `affine`.
    public let weight: Parameter?, bias: Parameter?
    /// The running mean and (unbiased) variance per channel, starting at 0 and 1.
    public let runningMean: Variable, runningVar: Variable
    public var isTraining = true

    /// `nn.BatchNorm1d(numFeatures, eps, momentum, affine)`.
    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        precondition(numFeatures > 0, "BatchNorm1d: numFeatures must be positive")
        (self.numFeatures, self.eps, self.momentum) = (numFeatures, eps, momentum)
        weight = affine ? Parameter(Tensor(repeating: 1, shape: [numFeatures]), name: "weight") : nil
        bias = affine ? Parameter(Tensor(zeros: [numFeatures]), name: "bias") : nil
        runningMean = Variable(Tensor(zeros: [numFeatures]))
        runningVar = Variable(Tensor(repeating: 1, shape: [numFeatures]))
    }

    public var directParameters: [(String, Parameter)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }
    public var directBuffers: [(String, Variable)] { [("running_mean", runningMean), ("running_var", runningVar)] }
    public var summaryName: String { "BatchNorm1d(\(numFeatures))" }

    /// x (N, C) or (N, C, L) -> the same shape.
    public func callAsFunction(_ x: Variable) -> Variable {
        batchNorm(
            x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, training: isTraining,
            momentum: momentum, eps: eps)
    }
}

/// PyTorch's `nn.LayerNorm(normalizedShape)` over the last axis (H = `normalizedShape`), with
/// `weight` (starting at 1) and `bias` (at 0) when `elementwiseAffine`.
public final class LayerNorm: Layer {
    /// The size of the last axis (H).
    public let normalizedShape: Int
    /// Added to the variance before the square root.
    public let eps: Float
    /// The scale and shift (H), or nil without `elementwiseAffine`.
    public let weight: Parameter?, bias: Parameter?
    public var isTraining = true

    /// `nn.LayerNorm([normalizedShape], eps, elementwise_affine)`.
    public init(normalizedShape: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true) {
        precondition(normalizedShape > 0, "LayerNorm: normalizedShape must be positive")
        (self.normalizedShape, self.eps) = (normalizedShape, eps)
        weight = elementwiseAffine ? Parameter(Tensor(repeating: 1, shape: [normalizedShape]), name: "weight") : nil
        bias = elementwiseAffine ? Parameter(Tensor(zeros: [normalizedShape]), name: "bias") : nil
    }

    public var directParameters: [(String, Parameter)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }
    public var summaryName: String { "LayerNorm(\(normalizedShape))" }

    /// x (..., H) -> the same shape.
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.shape.last == normalizedShape, "LayerNorm(\(normalizedShape)): input \(x.shape)")
        return layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}
