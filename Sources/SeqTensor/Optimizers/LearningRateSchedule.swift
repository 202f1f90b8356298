import Foundation

/// Learning rate as a function of the step (0-based), as PyTorch's schedulers compute it in
/// closed form: step decay (`StepLR`), exponential (`ExponentialLR`), cosine annealing
/// (`CosineAnnealingLR`), each optionally after a linear warm-up from 0.
public struct LearningRateSchedule: Sendable, Equatable {
    /// How the rate falls after the warm-up.
    public enum Decay: Sendable, Equatable {
        case constant
        /// lr * gamma^(floor(step / every)).
        case step(every: Int, gamma: Float)
        /// lr * gamma^step.
        case exponential(gamma: Float)
        /// minimum + (lr - minimum)(1 + cos(pi step / totalSteps)) / 2, held at `minimum` after.
        case cosine(totalSteps: Int, minimum: Float)
    }

    /// The rate at the end of the warm-up.
    public var base: Float
    /// How the rate falls after the warm-up.
    public var decay: Decay
    /// Steps of linear warm-up: lr * (step + 1) / warmup, before the decay starts counting.
    public var warmupSteps: Int

    /// A schedule from `base`: linear warm-up over `warmupSteps`, then `decay`.
    public init(base: Float, decay: Decay = .constant, warmupSteps: Int = 0) {
        self.base = base
        self.decay = decay
        self.warmupSteps = warmupSteps
    }

    /// The learning rate for `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let s = step - warmupSteps
        switch decay {
        case .constant:
            return base
        case .step(let every, let gamma):
            return base * pow(gamma, Float(s / max(every, 1)))
        case .exponential(let gamma):
            return base * pow(gamma, Float(s))
        case .cosine(let total, let minimum):
            let progress = min(Double(s), Double(total)) / Double(max(total, 1))
            return minimum + (base - minimum) * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}
