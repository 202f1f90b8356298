import SeqTensor

/// An activation as a layer: sigmoid, tanh, relu, leaky relu, softmax or log-softmax (the last
/// two over the last axis).
public final class Activation: Layer {
    /// The function applied element by element (softmax and log-softmax over the last axis).
    public enum Function: Equatable, Sendable {
        case sigmoid, tanh, relu, softmax, logSoftmax
        case leakyRelu(negativeSlope: Float)
    }

    /// The function this layer applies.
    public let function: Function
    public var isTraining = true

    /// A layer applying `function`.
    public init(_ function: Function) { self.function = function }

    public var summaryName: String {
        switch function {
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .relu: "ReLU"
        case .softmax: "Softmax"
        case .logSoftmax: "LogSoftmax"
        case .leakyRelu(let s): "LeakyReLU(\(s))"
        }
    }

    /// Any shape -> the same shape.
    public func callAsFunction(_ x: Variable) -> Variable {
        switch function {
        case .sigmoid: x.sigmoid()
        case .tanh: x.tanh()
        case .relu: x.relu()
        case .softmax: x.softmax()
        case .logSoftmax: x.logSoftmax()
        case .leakyRelu(let s): x.leakyRelu(negativeSlope: s)
        }
    }
}
