/// A tensor in the autodiff graph: its value, the operation that made it, and, once backward
/// has reached it, its gradient.
///
/// Operations on variables compute their value at once and, when any input needs a gradient,
/// attach a `GraphNode` holding their analytic backward to the result (see `Graph`). The graph
/// belongs to the values: `backward()` on a scalar walks back from it alone, so models built and
/// trained on different threads never share state. Gradients accumulate (`+=`) until
/// `zeroGrad()`, as in PyTorch.
public class Variable {
    /// The value this variable holds.
    public var value: Tensor
    /// d(loss)/d(value), allocated the first time backward reaches this variable.
    public var grad: Tensor?
    /// Whether gradients flow into this variable (parameters, and results of ops on them).
    public let requiresGrad: Bool
    /// The operation that made this variable; nil for leaves and once backward has run through it.
    var node: GraphNode?

    /// A variable holding `value`; with `requiresGrad` its gradient is accumulated by `backward`.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }

    /// A new leaf with the same value and no history: gradients stop here (truncated BPTT).
    public func detached() -> Variable { Variable(value) }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// The gradient buffer, zero-filled on first use, for backward kernels that add into it.
    public func gradPointer() -> UnsafeMutablePointer<Float> {
        if grad == nil { grad = Tensor(zeros: value.shape) }
        return grad!.mutablePointer
    }

    /// Adds `g` (same element count) into the gradient.
    public func accumulateGrad(_ g: UnsafePointer<Float>) {
        guard grad != nil else {
            // The first gradient: g + 0 into a fresh buffer, one pass instead of a zero-fill and an
            // add, with the same values (0 + g and g + 0 are the same sum, -0 becoming +0 in both).
            var first = Tensor(uninitialized: value.shape)
            let dst = first.mutablePointer
            for i in 0..<value.count { dst[i] = g[i] + 0 }
            grad = first
            return
        }
        let dst = gradPointer()
        for i in 0..<value.count { dst[i] += g[i] }
    }

    /// Runs backpropagation from this scalar: seeds d(self)/d(self) = 1 (or `seed`), then runs
    /// the backward of every operation this variable depends on, latest first, and releases
    /// them (a second `backward` through the same operations finds nothing to do, as in PyTorch
    /// without `retain_graph`).
    public func backward(seed: Tensor? = nil) {
        if let seed {
            precondition(seed.shape == value.shape, "backward: seed \(seed.shape) for value \(value.shape)")
            accumulateGrad(seed.pointer)
        } else {
            precondition(value.count == 1, "backward: seed needed for non-scalar \(value.shape)")
            gradPointer()[0] += 1
        }
        Graph.runBackward(from: self)
    }
}

/// A trainable tensor with its `state_dict` name (`rnn.weight_ih_l0`, `head.bias`, ...).
public final class Parameter: Variable {
    /// The parameter's name, as a module reports it (e.g. `weight_ih_l0`).
    public var name: String

    /// A trainable variable (it always requires a gradient) named `name`.
    public init(_ value: Tensor, name: String = "") {
        self.name = name
        super.init(value, requiresGrad: true)
    }
}
