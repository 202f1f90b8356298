import SeqTensor

/// A lookup of rows of `weight` (V, E) by integer index: indices of shape S -> (S..., E).
/// Backward scatter-adds into the rows used (a repeated index adds up; unused rows get 0); the
/// row `paddingIndex`, if given, never receives a gradient (PyTorch's `padding_idx`).
public func embedding(_ indices: [Int], shape: [Int], weight: Variable, paddingIndex: Int? = nil) -> Variable {
    precondition(weight.value.rank == 2, "embedding: weight must be (V, E), got \(weight.shape)")
    precondition(Tensor.elementCount(shape) == indices.count, "embedding: \(indices.count) indices for shape \(shape)")
    let V = weight.shape[0], E = weight.shape[1]
    var y = Tensor(uninitialized: shape + [E])
    let yp = y.mutablePointer, wp = weight.value.pointer
    for (k, i) in indices.enumerated() {
        precondition(i >= 0 && i < V, "embedding: index \(i) outside 0..<\(V)")
        (yp + k * E).update(from: wp + i * E, count: E)
    }
    return Graph.output(y, inputs: [weight]) { g in
        Kernels.addRows(g.pointer, at: indices, columns: E, into: weight.gradPointer(), skipping: paddingIndex)
    }
}

/// PyTorch's `nn.Embedding(V, E)`: weight (V, E) starts standard normal. As a layer it reads
/// the input variable's values as indices.
public final class Embedding: Layer {
    /// Rows of the table (V, the vocabulary) and the vector size (E).
    public let count: Int, dimension: Int
    /// The table (V, E).
    public let weight: Parameter
    public var isTraining = true

    /// `nn.Embedding(count, dimension)`, drawn from `random`.
    public init(count: Int, dimension: Int, random: RandomSource) {
        precondition(count > 0 && dimension > 0, "Embedding: sizes must be positive")
        self.count = count
        self.dimension = dimension
        weight = Parameter(Tensor(normal: [count, dimension], generator: &random.generator), name: "weight")
    }

    public var directParameters: [(String, Parameter)] { [("weight", weight)] }
    public var summaryName: String { "Embedding(\(count), \(dimension))" }

    /// Looks up `indices` laid out in `shape`.
    public func callAsFunction(indices: [Int], shape: [Int]) -> Variable {
        embedding(indices, shape: shape, weight: weight)
    }

    /// Indices stored as floats, any shape S -> (S..., E).
    public func callAsFunction(_ x: Variable) -> Variable {
        embedding(x.value.scalars.map { Int($0) }, shape: x.shape, weight: weight)
    }
}
