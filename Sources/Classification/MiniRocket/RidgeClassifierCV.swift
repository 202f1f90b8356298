import Foundation
import SeqTensor

/// A ridge classifier whose penalty is chosen by exact leave-one-out cross-validation, solved once
/// for every candidate: scikit-learn's `RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))` with its
/// default `cv=None`, the classifier MiniRocket's authors (and aeon) put after the transform.
///
/// Each class k gets a target column y_k (+1 for its series, -1 for the others) and one ridge
/// regression with an intercept: with X and Y centred (Xc = X - 1 x̄, Yc = Y - 1 ȳ),
///
///     W = (Xc^T Xc + α I)^-1 Xc^T Yc    (features, classes),    b = ȳ - x̄ W,
///
/// and a series is given the class of its largest score x W + b. (Two classes: the two columns
/// are each other's negatives, so this is scikit-learn's single ±1 column and its sign.)
///
/// The leave-one-out residuals need no refit (Rifkin & Lippert 2007, "Notes on regularized least
/// squares"): with the Gram matrix K = Xc Xc^T and G = K + α I,
///
///     c = G^-1 Yc,   d_i = (G^-1)_ii - (G^-1 1)_i / n   (the second term: the intercept),
///     e = c / d      (e_ik: the error on series i of the fit without it),
///
/// and one eigendecomposition K = Σ_j λ_j q_j q_j^T gives G^-1 = Σ_j q_j q_j^T / (λ_j + α) for
/// every α at O(n^2) each. The α of the smallest mean squared residual over all series and
/// columns is kept (the first on ties), as scikit-learn's default scoring does.
///
/// With more series than features (n > p) the same is computed from the covariance
/// C = Xc^T Xc = Σ_j λ_j v_j v_j^T instead (scikit-learn's "cov" mode), whose size is p:
///
///     H = C + α I,   Ŷ = Xc H^-1 Xc^T Yc,   h_i = (Xc H^-1 Xc^T)_ii,
///     e = (Yc - Ŷ) / (1 - h - 1/n),    W = H^-1 Xc^T Yc.
///
/// Everything runs in double: the smallest penalty (0.001) sits next to Gram entries in the
/// thousands.
public struct RidgeClassifierCV {
    /// The penalties tried by default: `np.logspace(-3, 3, 10)`, 0.001 to 1000.
    public static let defaultAlphas: [Double] = (0..<10).map { Foundation.pow(10, -3 + Double($0) * (6.0 / 9.0)) }

    /// Weights (K, p) as `Linear` stores them (out, in): class k's scores are features · row k + bias k.
    public let weight: [Float]
    /// The intercepts (K).
    public let bias: [Float]
    /// The penalty chosen.
    public let alpha: Double
    /// The mean squared leave-one-out residual of each penalty tried, in the order given.
    public let errors: [Double]

    /// Fits the classifier to `x` (`rows` series by `columns` features, row-major, in double) and
    /// each series' class index `targets` (in 0..<`classCount`), choosing the penalty among `alphas`.
    /// `x` is consumed as scratch.
    public init(
        _ x: inout [Double], rows n: Int, columns p: Int, targets: [Int], classCount: Int,
        alphas: [Double] = defaultAlphas
    ) throws {
        precondition(n > 0 && p > 0 && x.count == n * p && targets.count == n, "RidgeClassifierCV: shapes")
        precondition(targets.allSatisfy { (0..<classCount).contains($0) } && !alphas.isEmpty, "RidgeClassifierCV")
        let K = classCount
        // Centre the features and the ±1 targets (the intercept).
        var xMean = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { xMean[j] += x[i * p + j] } }
        for j in 0..<p { xMean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<p { x[i * p + j] -= xMean[j] } }
        var y = [Double](repeating: -1, count: n * K)
        for (i, k) in targets.enumerated() { y[i * K + k] = 1 }
        var yMean = [Double](repeating: 0, count: K)
        for i in 0..<n { for k in 0..<K { yMean[k] += y[i * K + k] } }
        for k in 0..<K { yMean[k] /= Double(n) }
        for i in 0..<n { for k in 0..<K { y[i * K + k] -= yMean[k] } }

        let solution =
            n <= p
            ? try Self.gramSolution(&x, n: n, p: p, y: y, K: K, alphas: alphas)
            : try Self.covarianceSolution(&x, n: n, p: p, y: y, K: K, alphas: alphas)
        (alpha, errors) = (solution.alpha, solution.errors)
        // W is (p, K); Linear's weight is (K, p).
        var weight = [Float](repeating: 0, count: K * p), bias = [Float](repeating: 0, count: K)
        for k in 0..<K {
            var offset = yMean[k]
            for j in 0..<p {
                weight[k * p + j] = Float(solution.w[j * K + k])
                offset -= xMean[j] * solution.w[j * K + k]
            }
            bias[k] = Float(offset)
        }
        (self.weight, self.bias) = (weight, bias)
    }

    /// The index of the smallest of `errors` (the first on ties; NaN never wins).
    static func best(_ errors: [Double]) -> Int {
        var best = 0
        for (i, e) in errors.enumerated() where e < errors[best] { best = i }
        return best
    }

    /// n <= p: from the eigendecomposition of the Gram matrix Xc Xc^T (n, n). Returns W (p, K).
    static func gramSolution(
        _ x: inout [Double], n: Int, p: Int, y: [Double], K: Int, alphas: [Double]
    ) throws -> (w: [Double], alpha: Double, errors: [Double]) {
        var q = [Double](repeating: 0, count: n * n)
        DoubleLinearAlgebra.gram(x, rows: n, columns: p, into: &q)
        let lambda = try DoubleLinearAlgebra.symmetricEigen(&q, n: n)  // row j of q: eigenvector j
        var qy = [Double](repeating: 0, count: n * K)  // Q^T-side projections: (q_j · y_k)
        DoubleLinearAlgebra.multiply(m: n, n: K, k: n, q, y, &qy)
        var qOne = [Double](repeating: 0, count: n)
        for j in 0..<n { for i in 0..<n { qOne[j] += q[j * n + i] } }

        // c = Σ_j q_j D_j (q_j · y) and the diagonal d for one α.
        var scaled = [Double](repeating: 0, count: n * K), c = [Double](repeating: 0, count: n * K)
        func solve(_ alpha: Double) -> (c: [Double], d: [Double]) {
            let D = lambda.map { 1 / ($0 + alpha) }
            for j in 0..<n { for k in 0..<K { scaled[j * K + k] = D[j] * qy[j * K + k] } }
            DoubleLinearAlgebra.multiply(transposeA: true, m: n, n: K, k: n, q, scaled, &c)
            var d = [Double](repeating: 0, count: n), ones = [Double](repeating: 0, count: n)
            for j in 0..<n {
                let dj = D[j], row = j * n, oneJ = dj * qOne[j]
                for i in 0..<n {
                    d[i] += dj * q[row + i] * q[row + i]
                    ones[i] += oneJ * q[row + i]
                }
            }
            for i in 0..<n { d[i] -= ones[i] / Double(n) }
            return (c, d)
        }
        var errors: [Double] = []
        for alpha in alphas {
            let (c, d) = solve(alpha)
            var sum = 0.0
            for i in 0..<n { for k in 0..<K { sum += (c[i * K + k] / d[i]) * (c[i * K + k] / d[i]) } }
            errors.append(sum / Double(n * K))
        }
        let chosen = best(errors)
        let (cBest, _) = solve(alphas[chosen])
        var w = [Double](repeating: 0, count: p * K)
        DoubleLinearAlgebra.multiply(transposeA: true, m: p, n: K, k: n, x, cBest, &w)
        return (w, alphas[chosen], errors)
    }

    /// n > p: from the eigendecomposition of the covariance Xc^T Xc (p, p). Returns W (p, K).
    static func covarianceSolution(
        _ x: inout [Double], n: Int, p: Int, y: [Double], K: Int, alphas: [Double]
    ) throws -> (w: [Double], alpha: Double, errors: [Double]) {
        var v = [Double](repeating: 0, count: p * p)
        DoubleLinearAlgebra.gram(x, rows: n, columns: p, transposed: true, into: &v)
        let lambda = try DoubleLinearAlgebra.symmetricEigen(&v, n: p)  // row j of v: eigenvector j
        // Xc in the eigenbasis, XV (n, p) = Xc V, replaces Xc; B = (XV)^T Yc (p, K).
        var xv = [Double](repeating: 0, count: n * p)
        DoubleLinearAlgebra.multiply(transposeB: true, m: n, n: p, k: p, x, v, &xv)
        x = []
        var b = [Double](repeating: 0, count: p * K)
        DoubleLinearAlgebra.multiply(transposeA: true, m: p, n: K, k: n, xv, y, &b)

        var scaledB = [Double](repeating: 0, count: p * K), fitted = [Double](repeating: 0, count: n * K)
        var errors: [Double] = []
        for alpha in alphas {
            let D = lambda.map { 1 / ($0 + alpha) }
            for j in 0..<p { for k in 0..<K { scaledB[j * K + k] = D[j] * b[j * K + k] } }
            DoubleLinearAlgebra.multiply(m: n, n: K, k: p, xv, scaledB, &fitted)
            var sum = 0.0
            for i in 0..<n {
                var h = 0.0
                let row = i * p
                for j in 0..<p { h += xv[row + j] * xv[row + j] * D[j] }
                let d = 1 - h - 1 / Double(n)
                for k in 0..<K {
                    let e = (y[i * K + k] - fitted[i * K + k]) / d
                    sum += e * e
                }
            }
            errors.append(sum / Double(n * K))
        }
        let chosen = best(errors)
        let D = lambda.map { 1 / ($0 + alphas[chosen]) }
        for j in 0..<p { for k in 0..<K { scaledB[j * K + k] = D[j] * b[j * K + k] } }
        var w = [Double](repeating: 0, count: p * K)
        DoubleLinearAlgebra.multiply(transposeA: true, m: p, n: K, k: p, v, scaledB, &w)
        return (w, alphas[chosen], errors)
    }
}
