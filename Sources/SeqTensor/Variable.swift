/// A tensor in the autodiff graph: its value and, once backward has reached it, its gradient.
///
/// Operations on variables compute their value at once and, when any input needs a gradient,
/// push one backward closure on the `Tape`. `backward()` on a scalar runs the tape in reverse.
/// Gradients accumulate (`+=`) until `zeroGrad()`, as in PyTorch.
public class Variable {
    public var value: Tensor
    /// d(loss)/d(value), allocated the first time backward reaches this variable.
    public var grad: Tensor?
    /// Whether gradients flow into this variable (parameters, and results of ops on them).
    public let requiresGrad: Bool

    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

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
        let dst = gradPointer()
        for i in 0..<value.count { dst[i] += g[i] }
    }

    /// Runs backpropagation from this scalar: seeds d(self)/d(self) = 1 (or `seed`) and runs the
    /// tape backwards, then clears it.
    public func backward(seed: Tensor? = nil) {
        if let seed {
            precondition(seed.shape == value.shape, "backward: seed \(seed.shape) for value \(value.shape)")
            accumulateGrad(seed.pointer)
        } else {
            precondition(value.count == 1, "backward: seed needed for non-scalar \(value.shape)")
            gradPointer()[0] += 1
        }
        Tape.runBackward()
    }
}

/// A trainable tensor with its `state_dict` name (`rnn.weight_ih_l0`, `head.bias`, ...).
public final class Parameter: Variable {
    public var name: String

    public init(_ value: Tensor, name: String = "") {
        self.name = name
        super.init(value, requiresGrad: true)
    }
}

/// The record of backward closures, in the order their operations ran.
///
/// One tape per process: training in seqtool is one model at a time, driven from one thread;
/// kernels may fan out to worker threads inside an operation, never across operations.
public enum Tape {
    static var entries: [() -> Void] = []
    static var noGradDepth = 0

    /// Whether operations are being recorded now.
    public static var isRecording: Bool { noGradDepth == 0 }

    /// Number of recorded operations (for tests and leak checks).
    public static var count: Int { entries.count }

    /// Records `backward` (for operations with several outputs, which check their own grads).
    public static func record(_ backward: @escaping () -> Void) { entries.append(backward) }

    /// The output variable of a one-output operation on `inputs` with value `value`. When the
    /// output needs a gradient, `backward` is recorded and later called with d(loss)/d(output)
    /// (only if backward reached the output).
    public static func output(
        _ value: Tensor, inputs: [Variable?], backward: @escaping (Tensor) -> Void
    ) -> Variable {
        let needs = needsGrad(inputs)
        let out = Variable(value, requiresGrad: needs)
        if needs {
            entries.append {
                if let g = out.grad { backward(g) }
            }
        }
        return out
    }

    /// Whether an operation on `inputs` would record (so it can skip caching for backward).
    public static func needsGrad(_ inputs: [Variable?]) -> Bool {
        isRecording && inputs.contains(where: { $0?.requiresGrad == true })
    }

    static func runBackward() {
        let recorded = entries
        entries.removeAll(keepingCapacity: true)
        for entry in recorded.reversed() { entry() }
    }

    /// Drops everything recorded (after an evaluation pass that will not be differentiated).
    public static func clear() { entries.removeAll(keepingCapacity: true) }

    /// Runs `body` without recording: inference, evaluation, sampling.
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        noGradDepth += 1
        defer { noGradDepth -= 1 }
        return try body()
    }
}
