/// A first-order optimizer over a fixed list of parameters, with PyTorch's update rules.
///
/// `step()` applies one update from the parameters' current gradients; `zeroGrad()` clears
/// them. `state` exposes everything the optimizer remembers (moments, step count) by name, so a
/// checkpoint can restore it and a resumed run continue exactly.
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    /// The learning rate the next `step()` uses (schedules set it before each step).
    var learningRate: Float { get set }
    func step()
    /// The optimizer's memory: tensors named `"<index>.<slot>"` plus `"step"`.
    var state: [String: Tensor] { get }
    /// Restores `state` as returned by `state`; throws if a slot is missing or misshapen.
    func load(state: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// A problem with restoring an optimizer's saved state.
public struct OptimizerStateError: Error, CustomStringConvertible {
    /// What does not fit, naming the state tensor.
    public let description: String
}

/// Per-parameter buffers of one kind (a moment), zero until first use, with their save/restore.
final class Slots {
    let name: String
    var buffers: [Tensor?]

    init(_ name: String, count: Int) {
        self.name = name
        buffers = Array(repeating: nil, count: count)
    }

    /// The buffer for parameter `i`, created filled with `initial` when absent.
    func pointer(_ i: Int, shape: [Int], initial: Float = 0) -> UnsafeMutablePointer<Float> {
        if buffers[i] == nil { buffers[i] = Tensor(repeating: initial, shape: shape) }
        return buffers[i]!.mutablePointer
    }

    func save(into state: inout [String: Tensor]) {
        for (i, b) in buffers.enumerated() { if let b { state["\(i).\(name)"] = b } }
    }

    func load(_ state: [String: Tensor], parameters: [Parameter]) throws {
        for i in buffers.indices {
            guard let t = state["\(i).\(name)"] else {
                buffers[i] = nil
                continue
            }
            guard t.shape == parameters[i].shape else {
                throw OptimizerStateError(
                    description:
                        "optimizer state \(i).\(name) has shape \(t.shape), parameter \(parameters[i].name) has "
                        + "\(parameters[i].shape)"
                )
            }
            buffers[i] = t
        }
    }
}

/// Saves and restores the step counter shared by the optimizers that keep one.
func saveStep(_ step: Int, into state: inout [String: Tensor]) { state["step"] = Tensor(scalar: Float(step)) }
func loadStep(_ state: [String: Tensor]) -> Int { Int(state["step"]?.item ?? 0) }

/// Training stopped because the loss or the gradient stopped being finite.
public struct DivergenceError: Error, CustomStringConvertible {
    /// The step whose loss or gradient was not finite.
    public let step: Int
    /// The loss and the gradient norm at that step.
    public let loss: Float, gradientNorm: Float

    /// The divergence seen at `step`.
    public init(step: Int, loss: Float, gradientNorm: Float) {
        self.step = step
        self.loss = loss
        self.gradientNorm = gradientNorm
    }

    /// A sentence with the step, the loss and the norm, and the likely cause.
    public var description: String {
        "training diverged at step \(step): loss \(loss), gradient norm \(gradientNorm) (a learning rate too high, or "
            + "gradients not clipped enough)"
    }
}

extension Optimizer {
    /// One training step on `loss`: clears the gradients, backpropagates, clips the global norm
    /// to `clip` (0: no clipping), and applies the update unless the loss or the gradient is not
    /// finite, in which case it throws and leaves the parameters as they were. `step` (1-based)
    /// names the step in that error. Returns the loss and the pre-clip gradient norm.
    ///
    /// In data-parallel training `averaging` sums the ranks' gradients, weighted by `share` (this
    /// rank's fraction of the batch), before clipping; the loss returned is then the batch's. A
    /// rank whose share of the batch is empty passes a nil `loss` and still takes part.
    @discardableResult
    public func minimize(
        _ loss: Variable?, clip: Float, step: Int, averaging: GradientAverager? = nil, share: Float = 1
    ) throws -> (loss: Float, gradientNorm: Float) {
        zeroGrad()
        loss?.backward()
        var value = loss?.value.item ?? 0
        if let averaging { value = averaging.average(parameters, loss: value, share: loss == nil ? 0 : share) }
        let norm = clipGradientNorm(parameters, maxNorm: clip > 0 ? clip : .infinity)
        guard value.isFinite, norm.isFinite else { throw DivergenceError(step: step, loss: value, gradientNorm: norm) }
        self.step()
        return (value, norm)
    }
}
