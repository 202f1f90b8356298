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
    let xp = x.value.pointer
    let weightValue = weight?.value
    // x[b][c][l] is at b * C * L + c * L + l.
    func forEach(_ c: Int, _ body: (Int) -> Void) {
        for b in 0..<N { for l in 0..<L { body(b * C * L + c * L + l) } }
    }
    var mean = [Float](repeating: 0, count: C), invStd = [Float](repeating: 0, count: C)
    for c in 0..<C {
        if training {
            var sum = 0.0
            forEach(c) { sum += Double(xp[$0]) }
            let m = sum / Double(n)
            var squares = 0.0
            forEach(c) { squares += (Double(xp[$0]) - m) * (Double(xp[$0]) - m) }
            let variance = squares / Double(n)
            mean[c] = Float(m)
            invStd[c] = Float(1 / (variance + Double(eps)).squareRoot())
            let rm = runningMean.value.mutablePointer, rv = runningVar.value.mutablePointer
            rm[c] = (1 - momentum) * rm[c] + momentum * Float(m)
            rv[c] = (1 - momentum) * rv[c] + momentum * Float(variance * Double(n) / Double(n - 1))
        } else {
            mean[c] = runningMean.value.pointer[c]
            invStd[c] = 1 / (runningVar.value.pointer[c] + eps).squareRoot()
        }
    }
    var normalized = Tensor(uninitialized: shape)
    var y = Tensor(uninitialized: shape)
    let np = normalized.mutablePointer, yp = y.mutablePointer
    let wp = weightValue?.pointer, bp = bias?.value.pointer
    for c in 0..<C {
        let (w, b) = (wp?[c] ?? 1, bp?[c] ?? 0)
        forEach(c) { i in
            np[i] = (xp[i] - mean[c]) * invStd[c]
            yp[i] = np[i] * w + b
        }
    }
    return Graph.output(y, inputs: [x, weight, bias]) { g in
        let gp = g.pointer, np = normalized.pointer
        for c in 0..<C {
            var sumDy = 0.0, sumDyX = 0.0
            forEach(c) { i in
                sumDy += Double(gp[i])
                sumDyX += Double(gp[i]) * Double(np[i])
            }
            if let weight, weight.requiresGrad { weight.gradPointer()[c] += Float(sumDyX) }
            if let bias, bias.requiresGrad { bias.gradPointer()[c] += Float(sumDy) }
            guard x.requiresGrad else { continue }
            let w = weightValue?.pointer[c] ?? 1, dx = x.gradPointer()
            if training {
                // sum dx^ = w sum dy, sum dx^ x^ = w sum dy x^.
                let meanDy = Float(sumDy / Double(n)), meanDyX = Float(sumDyX / Double(n))
                forEach(c) { i in dx[i] += w * invStd[c] * (gp[i] - meanDy - np[i] * meanDyX) }
            } else {
                forEach(c) { i in dx[i] += w * invStd[c] * gp[i] }
            }
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
