import Foundation

/// Clips gradients by their global norm, as `torch.nn.utils.clip_grad_norm_`:
///
///     total = (sum of |g|^p over every gradient)^(1/p)  (p = 2 by default; max |g| for p = inf)
///     g *= min(1, maxNorm / (total + 1e-6))
///
/// Returns the norm before clipping. Parameters without a gradient are skipped.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float, normType: Float = 2) -> Float {
    var total: Float
    if normType == 2 {
        var sumSquares: Double = 0
        for p in parameters { if let g = p.grad { sumSquares += Kernels.sumOfSquares(g.pointer, count: g.count) } }
        total = Float(sumSquares.squareRoot())
    } else if normType == .infinity {
        total = 0
        for p in parameters { if let g = p.grad { for i in 0..<g.count { total = max(total, abs(g.pointer[i])) } } }
    } else {
        var sum: Double = 0
        for p in parameters {
            if let g = p.grad { for i in 0..<g.count { sum += pow(Double(abs(g.pointer[i])), Double(normType)) } }
        }
        total = Float(pow(sum, 1 / Double(normType)))
    }
    let coefficient = min(1, maxNorm / (total + 1e-6))
    if coefficient < 1 {
        for p in parameters where p.grad != nil {
            let n = p.grad!.count, d = p.gradPointer()
            for i in 0..<n { d[i] *= coefficient }
        }
    }
    return total
}
