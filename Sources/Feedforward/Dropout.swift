import SeqTensor

/// Inverted dropout: each element is zeroed with probability p and the survivors are scaled by
/// 1/(1-p), so inference needs no rescaling. Backward multiplies by the same mask.
public func dropout(_ x: Variable, probability p: Float, random: RandomSource) -> Variable {
    precondition(p >= 0 && p < 1, "dropout: probability \(p) outside [0, 1)")
    if p == 0 { return x }
    var mask = Tensor(uninitialized: x.shape)
    let mp = mask.mutablePointer, keep = 1 / (1 - p)
    for i in 0..<mask.count { mp[i] = random.generator.nextFloat() >= p ? keep : 0 }
    var y = x.value
    let yp = y.mutablePointer
    for i in 0..<y.count { yp[i] *= mp[i] }
    let saved = mask
    return Graph.output(y, inputs: [x]) { g in
        let d = x.gradPointer(), gp = g.pointer, m = saved.pointer
        for i in 0..<g.count { d[i] += gp[i] * m[i] }
    }
}

/// The Dropout layer: `dropout` in training mode, identity in inference mode.
public final class Dropout: Layer {
    /// The probability of zeroing an element (survivors are scaled by 1/(1 - p)).
    public let probability: Float
    public var isTraining = true
    let random: RandomSource

    /// `nn.Dropout(p)`; the masks are drawn from `random`.
    public init(probability: Float, random: RandomSource) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) outside [0, 1)")
        self.probability = probability
        self.random = random
    }

    public var summaryName: String { "Dropout(p=\(probability))" }

    /// Any shape -> the same shape.
    public func callAsFunction(_ x: Variable) -> Variable {
        isTraining ? dropout(x, probability: probability, random: random) : x
    }
}
