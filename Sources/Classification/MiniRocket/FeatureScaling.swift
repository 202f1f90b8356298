import Feedforward
import SeqTensor

/// Features divided by their standard deviation over the training series, without centring:
/// scikit-learn's `StandardScaler(with_mean=False)`, which aeon's MiniRocket classifier puts between
/// the transform and the ridge classifier. x_j -> x_j / s_j with s_j the population deviation of
/// feature j (1 for a feature constant on the training series). The deviations are the buffer `scale` (p).
public final class FeatureScaling: Module {
    /// s (p).
    public let scale: Variable

    /// Scaling of `count` features, by 1 until fitted.
    public init(count: Int) { scale = Variable(Tensor(repeating: 1, shape: [count])) }

    public var directBuffers: [(String, Variable)] { [("scale", scale)] }

    /// The deviations of the columns of x (rows, columns), in double; a column is constant (s = 1)
    /// when its variance is within rounding of zero, by scikit-learn's test
    /// var <= n ε var + (n ε mean)^2.
    public static func deviations(_ x: UnsafePointer<Float>, rows n: Int, columns p: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: p), variance = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { mean[j] += Double(x[i * p + j]) } }
        for j in 0..<p { mean[j] /= Double(n) }
        for i in 0..<n {
            for j in 0..<p {
                let v = Double(x[i * p + j]) - mean[j]
                variance[j] += v * v
            }
        }
        let epsilon = Double.ulpOfOne
        return (0..<p).map { j in
            let v = variance[j] / Double(n), nm = Double(n) * mean[j] * epsilon
            return v <= Double(n) * epsilon * v + nm * nm ? 1 : v.squareRoot()
        }
    }

    /// Sets `scale` from the features (rows, p) of the training series and returns them scaled, in
    /// double, for the classifier after it.
    public func fit(_ x: Tensor) -> [Double] {
        let (n, p) = (x.shape[0], x.shape[1])
        let s = Self.deviations(x.pointer, rows: n, columns: p)
        scale.value = Tensor(s.map { Float($0) })
        var scaled = [Double](repeating: 0, count: n * p)
        for i in 0..<n { for j in 0..<p { scaled[i * p + j] = Double(x.pointer[i * p + j]) / s[j] } }
        return scaled
    }

    /// x (B, p) -> x / s.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, p) = (x.shape[0], x.shape[1])
        precondition(p == scale.value.count, "FeatureScaling: \(p) features, \(scale.value.count) deviations")
        var y = Tensor(uninitialized: [n, p])
        let out = y.mutablePointer, input = x.pointer, s = scale.value.pointer
        for i in 0..<n { for j in 0..<p { out[i * p + j] = input[i * p + j] / s[j] } }
        return y
    }
}
