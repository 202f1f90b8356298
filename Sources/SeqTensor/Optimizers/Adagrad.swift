/// Adagrad with PyTorch's options:
///
///     g = grad + wd p ;  lr_t = lr / (1 + (t - 1) lr_decay)
///     s += g^2 (s starts at initial_accumulator_value) ;  p -= lr_t g / (sqrt(s) + eps)
public final class Adagrad: Optimizer {
    /// The parameters this optimizer updates.
    public let parameters: [Parameter]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// `torch.optim.Adagrad`'s `lr_decay`, `weight_decay`, `initial_accumulator_value` and `eps`.
    public let learningRateDecay: Float, weightDecay: Float, initialAccumulator: Float, epsilon: Float
    /// Steps taken (the decay's t).
    public private(set) var stepCount = 0
    let sums: Slots

    /// Adagrad with `torch.optim.Adagrad`'s defaults.
    public init(
        _ parameters: [Parameter], learningRate: Float = 1e-2, learningRateDecay: Float = 0,
        weightDecay: Float = 0, initialAccumulator: Float = 0, epsilon: Float = 1e-10
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulator = initialAccumulator
        self.epsilon = epsilon
        sums = Slots("sum", count: parameters.count)
    }

    public func step() {
        stepCount += 1
        let rate = learningRate / (1 + Float(stepCount - 1) * learningRateDecay)
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let n = p.value.count, gp = grad.pointer, w = p.value.mutablePointer
            let s = sums.pointer(i, shape: p.shape, initial: initialAccumulator)
            for j in 0..<n {
                let g = gp[j] + weightDecay * w[j]
                s[j] += g * g
                w[j] -= rate * g / (s[j].squareRoot() + epsilon)
            }
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        sums.save(into: &s)
        saveStep(stepCount, into: &s)
        return s
    }

    public func load(state: [String: Tensor]) throws {
        try sums.load(state, parameters: parameters)
        stepCount = loadStep(state)
    }
}
