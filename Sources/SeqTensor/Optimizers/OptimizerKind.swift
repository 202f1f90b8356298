/// The optimizers by their command-line names, with PyTorch's defaults for everything but the
/// learning rate.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case adam, adamw, rmsprop, sgd, adagrad

    /// A fresh optimizer of this kind over `parameters`. `momentum` applies to SGD and RMSprop,
    /// `weightDecay` to all (AdamW's default is 0.01, the others' 0).
    public func make(_ parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float? = nil)
        -> Optimizer
    {
        switch self {
        case .adam: Adam(parameters, learningRate: learningRate, weightDecay: weightDecay ?? 0)
        case .adamw: AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay ?? 0.01)
        case .rmsprop:
            RMSprop(parameters, learningRate: learningRate, weightDecay: weightDecay ?? 0, momentum: momentum)
        case .sgd: SGD(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay ?? 0)
        case .adagrad: Adagrad(parameters, learningRate: learningRate, weightDecay: weightDecay ?? 0)
        }
    }
}
