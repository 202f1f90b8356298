import SeqTensor

/// An activation as a layer: sigmoid, tanh, relu, leaky relu, softmax or log-softmax (the last
/// two over the last axis).
public final class Activation: Layer {
    public enum Function: Equatable, Sendable {
        case sigmoid, tanh, relu, softmax, logSoftmax
        case leakyRelu(negativeSlope: Float)
    }

    public let function: Function
    public var isTraining = true

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
