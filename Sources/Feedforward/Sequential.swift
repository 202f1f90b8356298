import Foundation
import SeqTensor

/// Layers applied in order; parameters are named `<index>.<name>` as in PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    /// The layers, in the order they run; their indices name them (`0.weight`, ...).
    public let layers: [any Layer]

    /// `nn.Sequential(layers...)`.
    public init(_ layers: [any Layer]) { self.layers = layers }

    public var children: [(String, any Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    public var summaryName: String { "Sequential(\(layers.count) layers)" }

    /// Each layer applied to the output of the one before.
    public func callAsFunction(_ x: Variable) -> Variable { layers.reduce(x) { $1($0) } }

    /// A table of layers, output shapes and parameter counts, like Keras's `model.summary()`,
    /// from one inference pass on zeros of `inputShape` (batch axis included).
    public func summary(inputShape: [Int]) -> String {
        var rows: [(String, String, String)] = [("Layer", "Output shape", "Params")]
        inferenceMode {
            var x = Variable(Tensor(zeros: inputShape))
            for (i, l) in layers.enumerated() {
                x = l(x)
                rows.append(("\(i) \(l.summaryName)", "\(x.shape)", "\(l.parameterCount)"))
            }
        }
        let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: w - s.count)
            return right ? fill + s : s + fill
        }
        var lines = rows.map { pad($0.0, w0) + "  " + pad($0.1, w1) + "  " + pad($0.2, w2, right: true) }
        let rule = String(repeating: "-", count: w0 + w1 + w2 + 4)
        lines.insert(rule, at: 1)
        lines.append(rule)
        lines.append("Total params: \(parameterCount)")
        return lines.joined(separator: "\n")
    }
}
