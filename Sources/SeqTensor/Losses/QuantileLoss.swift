/// The quantile (pinball) loss of forecasts of several quantiles at once, as quantile
/// regression (Koenker) and MQ-RNN train them: for input x (N, Q) with column q the forecast
/// of quantile tau_q, and target y (N),
///
///     loss = (1 / (N Q)) * sum_n w_n * sum_q rho_q(y_n - x_nq),   rho_q(e) = max(tau_q e, (tau_q - 1) e),
///
/// `weights` w (N) defaulting to 1. At tau = 0.5 it is half the absolute error: the median's
/// forecast minimises it. d/dx_nq = -w_n (tau_q - [y_n < x_nq]) / (N Q); at a tie the subgradient
/// taken is that of y > x.
public func quantileLoss(_ input: Variable, target: Tensor, quantiles: [Float], weights: Tensor? = nil) -> Variable {
    let Q = quantiles.count
    precondition(
        input.value.rank == 2 && input.shape[1] == Q && target.count == input.shape[0],
        "quantileLoss: input \(input.shape), target \(target.shape), \(Q) quantiles")
    precondition(weights.map { $0.count == target.count } ?? true, "quantileLoss: one weight per row")
    let N = input.shape[0], scale = 1 / Float(max(N * Q, 1))
    let xv = input.value, yv = target, wv = weights
    var total: Double = 0
    let xp = xv.pointer, yp = yv.pointer, wp = wv?.pointer
    for n in 0..<N {
        let w = wp.map { Double($0[n]) } ?? 1
        for q in 0..<Q {
            let e = Double(yp[n] - xp[n * Q + q]), tau = Double(quantiles[q])
            total += w * max(tau * e, (tau - 1) * e)
        }
    }
    return Graph.output(Tensor(scalar: Float(total) * scale), inputs: [input]) { g in
        let k = scale * g.item, xp = xv.pointer, yp = yv.pointer, wp = wv?.pointer, d = input.gradPointer()
        for n in 0..<N {
            let w = wp?[n] ?? 1
            for q in 0..<Q {
                let below: Float = yp[n] < xp[n * Q + q] ? 1 : 0
                d[n * Q + q] -= k * w * (quantiles[q] - below)
            }
        }
    }
}
