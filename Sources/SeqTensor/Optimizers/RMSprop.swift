/// RMSprop with PyTorch's options:
///
///     g = grad + wd p ;  v = alpha v + (1 - alpha) g^2
///     centered: a = alpha a + (1 - alpha) g ;  denom = sqrt(v - a^2) + eps ; else denom = sqrt(v) + eps
///     momentum > 0: b = momentum b + g / denom ; p -= lr b ;  else p -= lr g / denom
public final class RMSprop: Optimizer {
    /// The parameters this optimizer updates.
    public let parameters: [Parameter]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// `torch.optim.RMSprop`'s `alpha`, `eps`, `weight_decay`, `momentum` and `centered`.
    public let alpha: Float, epsilon: Float, weightDecay: Float, momentum: Float, centered: Bool
    let squareAverages: Slots, gradAverages: Slots, momentumBuffers: Slots

    /// RMSprop with `torch.optim.RMSprop`'s defaults.
    public init(
        _ parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8,
        weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        squareAverages = Slots("square_avg", count: parameters.count)
        gradAverages = Slots("grad_avg", count: parameters.count)
        momentumBuffers = Slots("momentum_buffer", count: parameters.count)
    }

    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let n = p.value.count, gp = grad.pointer, w = p.value.mutablePointer
            let v = squareAverages.pointer(i, shape: p.shape)
            let a = centered ? gradAverages.pointer(i, shape: p.shape) : nil
            let buf = momentum > 0 ? momentumBuffers.pointer(i, shape: p.shape) : nil
            for j in 0..<n {
                let g = gp[j] + weightDecay * w[j]
                v[j] = alpha * v[j] + (1 - alpha) * g * g
                var denom: Float
                if let a {
                    a[j] = alpha * a[j] + (1 - alpha) * g
                    denom = (v[j] - a[j] * a[j]).squareRoot() + epsilon
                } else {
                    denom = v[j].squareRoot() + epsilon
                }
                if let buf {
                    buf[j] = momentum * buf[j] + g / denom
                    w[j] -= learningRate * buf[j]
                } else {
                    w[j] -= learningRate * g / denom
                }
            }
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        squareAverages.save(into: &s)
        gradAverages.save(into: &s)
        momentumBuffers.save(into: &s)
        return s
    }

    public func load(state: [String: Tensor]) throws {
        try squareAverages.load(state, parameters: parameters)
        try gradAverages.load(state, parameters: parameters)
        try momentumBuffers.load(state, parameters: parameters)
    }
}
