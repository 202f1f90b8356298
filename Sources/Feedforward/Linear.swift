import SeqTensor

/// A fully connected layer, PyTorch's `nn.Linear` (Keras's Dense): y = x W^T + b.
/// x (N, in) -> y (N, out); W (out, in) and b (out) start uniform in ±1/sqrt(in).
/// Inputs of higher rank are flattened to rows over their last axis and shaped back.
public final class Linear: Layer {
    /// The sizes of an input row and of an output row.
    public let inFeatures: Int, outFeatures: Int
    /// W (out, in).
    public let weight: Parameter
    /// b (out), or nil without bias.
    public let bias: Parameter?
    public var isTraining = true

    /// `nn.Linear(inFeatures, outFeatures, bias)`, drawn from `random`.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, random: RandomSource) {
        precondition(
            inFeatures > 0 && outFeatures > 0, "Linear: sizes must be positive, got \(inFeatures)->\(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(
            defaultUniform([outFeatures, inFeatures], fanIn: inFeatures, random: random), name: "weight")
        self.bias =
            bias ? Parameter(defaultUniform([outFeatures], fanIn: inFeatures, random: random), name: "bias") : nil
    }

    public var directParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String { "Linear(\(inFeatures)->\(outFeatures))" }

    /// x (..., in) -> (..., out).
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(
            x.shape.last == inFeatures,
            "Linear(\(inFeatures)->\(outFeatures)): input \(x.shape) does not end in \(inFeatures)")
        if x.value.rank == 2 { return linear(x, weight: weight, bias: bias) }
        let lead = Array(x.shape.dropLast())
        return linear(x.reshaped([-1, inFeatures]), weight: weight, bias: bias).reshaped(lead + [outFeatures])
    }
}
