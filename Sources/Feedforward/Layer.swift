import SeqTensor

/// A building block of a model: called as a function on a variable, with named parameters in
/// PyTorch `state_dict` style and a training/inference mode (dropout differs between them).
public protocol Layer: AnyObject {
    /// Parameters by their names relative to this layer (`weight`, `bias`, `0.weight`, ...).
    var namedParameters: [(String, Parameter)] { get }
    /// Training mode (true) or inference mode (false).
    var isTraining: Bool { get set }
    /// One line for `summary`: the layer and its sizes.
    var summaryName: String { get }
    func callAsFunction(_ x: Variable) -> Variable
}

extension Layer {
    /// All parameters, in `namedParameters` order.
    public var parameters: [Parameter] { namedParameters.map(\.1) }
    /// Number of trainable values.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.1.value.count } }
}

/// Draws PyTorch's default initialisations: `kaiming_uniform_(a=sqrt(5))` for weights, which is
/// uniform in ±1/sqrt(fan_in), and the same bound for biases (Linear, Conv).
public func defaultUniform(_ shape: [Int], fanIn: Int, random: RandomSource) -> Tensor {
    let bound = 1 / Float(max(fanIn, 1)).squareRoot()
    return Tensor(uniform: shape, low: -bound, high: bound, generator: &random.generator)
}
