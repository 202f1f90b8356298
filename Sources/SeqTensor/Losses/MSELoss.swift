/// Mean squared error: mean((input - target)^2) over all elements (or the sum).
/// Both arguments get gradients: d/dinput = 2 (input - target) / N, d/dtarget the negative.
public func mseLoss(_ input: Variable, _ target: Variable, reduction: LossReduction = .mean) -> Variable {
    precondition(input.shape == target.shape, "mseLoss: input \(input.shape) and target \(target.shape) differ")
    let n = input.value.count
    let scale: Float = reduction == .mean ? 1 / Float(max(n, 1)) : 1
    let xp = input.value.pointer, tp = target.value.pointer
    var total: Double = 0
    for i in 0..<n {
        let d = Double(xp[i] - tp[i])
        total += d * d
    }
    let xv = input.value, tv = target.value
    return Graph.output(Tensor(scalar: Float(total) * scale), inputs: [input, target]) { g in
        let k = 2 * scale * g.item, xp = xv.pointer, tp = tv.pointer
        if input.requiresGrad {
            let d = input.gradPointer()
            for i in 0..<n { d[i] += k * (xp[i] - tp[i]) }
        }
        if target.requiresGrad {
            let d = target.gradPointer()
            for i in 0..<n { d[i] -= k * (xp[i] - tp[i]) }
        }
    }
}
