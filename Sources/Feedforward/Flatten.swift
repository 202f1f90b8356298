import SeqTensor

/// (N, d1, d2, ...) -> (N, d1*d2*...), as PyTorch's `nn.Flatten()`.
public final class Flatten: Layer {
    public var isTraining = true

    /// `nn.Flatten()`.
    public init() {}

    public var summaryName: String { "Flatten" }

    /// (N, d1, d2, ...) -> (N, d1 * d2 * ...).
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped([x.shape[0], -1]) }
}
