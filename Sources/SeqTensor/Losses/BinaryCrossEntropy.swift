import Foundation

/// Binary cross-entropy on logits: mean(max(x, 0) - x t + log(1 + e^-|x|)), the stable form
/// that never exponentiates a positive number. `target` holds probabilities in [0, 1] and also
/// gets a gradient: d/dx = (sigmoid(x) - t)/N, d/dt = -x/N.
public func binaryCrossEntropyWithLogits(
    _ logits: Variable, _ target: Variable, reduction: LossReduction = .mean
) -> Variable {
    precondition(
        logits.shape == target.shape, "bceWithLogits: logits \(logits.shape) and target \(target.shape) differ")
    let n = logits.value.count
    let scale: Float = reduction == .mean ? 1 / Float(max(n, 1)) : 1
    let xp = logits.value.pointer, tp = target.value.pointer
    var total: Double = 0
    for i in 0..<n {
        let x = Double(xp[i]), t = Double(tp[i])
        total += max(x, 0) - x * t + log1p(exp(-abs(x)))
    }
    let xv = logits.value, tv = target.value
    return Graph.output(Tensor(scalar: Float(total) * Float(scale)), inputs: [logits, target]) { g in
        let k = scale * g.item, xp = xv.pointer, tp = tv.pointer
        if logits.requiresGrad {
            let d = logits.gradPointer()
            for i in 0..<n { d[i] += k * (VectorMath.sigmoid(xp[i]) - tp[i]) }
        }
        if target.requiresGrad {
            let d = target.gradPointer()
            for i in 0..<n { d[i] -= k * xp[i] }
        }
    }
}
