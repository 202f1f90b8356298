/// Stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and weight decay:
///
///     g = grad + wd p
///     b = g (first step), then b = momentum b + (1 - dampening) g
///     g = g + momentum b (Nesterov) or g = b
///     p -= lr g
public final class SGD: Optimizer {
    /// The parameters this optimizer updates.
    public let parameters: [Parameter]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// `torch.optim.SGD`'s `momentum`, `dampening`, `weight_decay` and `nesterov`.
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    let momentumBuffers: Slots

    /// SGD with `torch.optim.SGD`'s defaults (no momentum).
    public init(
        _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = Slots("momentum_buffer", count: parameters.count)
    }

    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let n = p.value.count, gp = grad.pointer, w = p.value.mutablePointer
            let fresh = momentumBuffers.buffers[i] == nil
            let buf = momentum != 0 ? momentumBuffers.pointer(i, shape: p.shape) : nil
            for j in 0..<n {
                var g = gp[j] + weightDecay * w[j]
                if let buf {
                    buf[j] = fresh ? g : momentum * buf[j] + (1 - dampening) * g
                    g = nesterov ? g + momentum * buf[j] : buf[j]
                }
                w[j] -= learningRate * g
            }
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        momentumBuffers.save(into: &s)
        return s
    }

    public func load(state: [String: Tensor]) throws { try momentumBuffers.load(state, parameters: parameters) }
}
