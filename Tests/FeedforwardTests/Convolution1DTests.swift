import Feedforward
import Parity
import SeqTensor
import XCTest

/// The channels-last convolution (stride 1) against the im2col one it replaced, against finite
/// differences, and its "same" padding; the vectorised batch norm against the formula in double;
/// the transposes against a plain loop.
final class Convolution1DTests: XCTestCase {
    /// Output and every gradient of `conv1d(_:weight:bias:padding:)` match the 2-D im2col path
    /// (symmetric padding `before`, the first steps dropped where `after` is smaller) to float
    /// rounding, over channel counts that leave the 8 x 8 transposes edges on both sides.
    func testMatchesTheIm2colConvolution() {
        var g = SeededGenerator(seed: 11)
        for (C, O, L, k, padding) in [
            (1, 9, 19, 8, (3, 4)), (11, 7, 21, 5, (2, 2)), (16, 8, 8, 3, (1, 1)), (3, 5, 9, 4, (0, 0)),
            (9, 17, 13, 1, (0, 0)),
        ] {
            let x = Parameter(Tensor(uniform: [3, C, L], low: -1, high: 1, generator: &g))
            let w = Parameter(Tensor(uniform: [O, C, k], low: -1, high: 1, generator: &g))
            let b = Parameter(Tensor(uniform: [O], low: -1, high: 1, generator: &g))
            let seed = Tensor(uniform: [3, O, L + padding.0 + padding.1 - k + 1], low: -1, high: 1, generator: &g)
            let fast = conv1d(x, weight: w, bias: b, padding: padding)
            fast.backward(seed: seed)
            let grads = [x, w, b].map { $0.grad! }
            for p in [x, w, b] { p.zeroGrad() }

            // The reference pads both sides by the larger amount and drops the extra steps.
            let pad = max(padding.0, padding.1)
            let window = Window2D(kernel: (1, k), padding: (0, pad))
            let w4 = w.reshaped([O, C, 1, k])
            var full = conv2d(x.reshaped([3, C, 1, L]), weight: w4, bias: b, window: window)
            full = full.reshaped([3, O, full.shape[3]])
            let start = pad - padding.0
            let reference = narrowLastAxis(full, start..<(start + seed.shape[2]))
            XCTAssertEqual(fast.shape, reference.shape)
            reference.backward(seed: seed)
            assertClose(fast.value, reference.value, "output C=\(C) k=\(k)")
            for (p, grad) in zip([x, w, b], grads) { assertClose(grad, p.grad!, "gradient C=\(C) k=\(k)") }
        }
    }

    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let scale = max(1, b.scalars.map(abs).max() ?? 0)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst / scale, 1e-5, what, file: file, line: line)
    }

    func testGradientsAgainstFiniteDifferences() {
        let random = RandomSource(seed: 12)
        let conv = Conv1D(
            inChannels: 3, outChannels: 4, kernelSize: 8, padding: samePadding(kernelSize: 8), random: random)
        let x = Parameter(Tensor(uniform: [2, 3, 11], low: -1, high: 1, generator: &random.generator))
        let r = GradientCheck.check([x] + conv.parameters) { GradientCheck.weightedSum(conv(x)) }
        XCTAssertLessThan(r.worstError, 1e-2, "leaf \(r.worstLeaf)[\(r.worstElement)]")
    }

    /// "Same" padding keeps the length, with the extra zero of an even kernel after the series.
    func testSamePadding() {
        XCTAssertTrue(samePadding(kernelSize: 8) == (3, 4))
        XCTAssertTrue(samePadding(kernelSize: 5) == (2, 2))
        XCTAssertTrue(samePadding(kernelSize: 3, dilation: 2) == (2, 2))
        let random = RandomSource(seed: 13)
        let conv = Conv1D(
            inChannels: 1, outChannels: 1, kernelSize: 4, padding: samePadding(kernelSize: 4), random: random)
        conv.weight.value = Tensor([1, 0, 0, 0], shape: [1, 1, 4])
        conv.bias!.value = Tensor([0])
        // The first tap reads one step back: y[t] = x[t - 1].
        let y = conv(Variable(Tensor([1, 2, 3, 4, 5], shape: [1, 1, 5])))
        XCTAssertEqual(y.value.scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(conv.summaryName, "Conv1D(1->1, k=4, s=1, p=(1, 2))")
    }

    /// Batch norm in training mode against the formula computed in double, on a length that is
    /// not a multiple of the vector width and on one large enough to run on several threads.
    func testBatchNormMatchesTheFormulaInDouble() {
        var g = SeededGenerator(seed: 14)
        for (N, C, L) in [(3, 5, 13), (4, 16, 1100)] {
            let x = Parameter(Tensor(uniform: [N, C, L], low: -3, high: 5, generator: &g))
            let norm = BatchNorm1d(numFeatures: C)
            norm.weight!.value = Tensor(uniform: [C], low: 0.5, high: 1.5, generator: &g)
            norm.bias!.value = Tensor(uniform: [C], low: -1, high: 1, generator: &g)
            let dy = Tensor(uniform: [N, C, L], low: -1, high: 1, generator: &g)
            let y = norm(x)
            y.backward(seed: dy)
            let (xs, ys, dys, dxs) = (x.value.scalars, y.value.scalars, dy.scalars, x.grad!.scalars)
            for c in 0..<C {
                let indices = (0..<N).flatMap { b in (0..<L).map { (b * C + c) * L + $0 } }
                let n = Double(indices.count)
                let mean = indices.reduce(0.0) { $0 + Double(xs[$1]) } / n
                let variance = indices.reduce(0.0) { $0 + (Double(xs[$1]) - mean) * (Double(xs[$1]) - mean) } / n
                let inv = 1 / (variance + 1e-5).squareRoot()
                let (w, b) = (Double(norm.weight!.value.scalars[c]), Double(norm.bias!.value.scalars[c]))
                let sumDy = indices.reduce(0.0) { $0 + Double(dys[$1]) }
                let sumDyX = indices.reduce(0.0) { $0 + Double(dys[$1]) * (Double(xs[$1]) - mean) * inv }
                for i in indices {
                    let normal = (Double(xs[i]) - mean) * inv
                    XCTAssertEqual(Double(ys[i]), normal * w + b, accuracy: 1e-5)
                    let dx = w * inv * (Double(dys[i]) - sumDy / n - normal * sumDyX / n)
                    XCTAssertEqual(Double(dxs[i]), dx, accuracy: 1e-5)
                }
                XCTAssertEqual(Double(norm.runningMean.value.scalars[c]), 0.1 * mean, accuracy: 1e-5)
                XCTAssertEqual(
                    Double(norm.runningVar.value.scalars[c]), 0.9 + 0.1 * variance * n / (n - 1), accuracy: 1e-4)
                XCTAssertEqual(Double(norm.bias!.grad!.scalars[c]), sumDy, accuracy: 1e-3)
                XCTAssertEqual(Double(norm.weight!.grad!.scalars[c]), sumDyX, accuracy: 1e-3)
            }
        }
    }

    func testTransposeMatchesALoop() {
        var g = SeededGenerator(seed: 15)
        for (rows, columns) in [(1, 1), (8, 8), (13, 21), (16, 3), (3, 17)] {
            let src = Tensor(uniform: [rows, columns], low: -1, high: 1, generator: &g)
            var dst = Tensor(uniform: [columns, rows], low: -1, high: 1, generator: &g)
            let before = dst.scalars
            Kernels.transpose(src.pointer, rows: rows, columns: columns, into: dst.mutablePointer, adding: true)
            for r in 0..<rows {
                for c in 0..<columns {
                    XCTAssertEqual(dst.scalars[c * rows + r], before[c * rows + r] + src.scalars[r * columns + c])
                }
            }
            Kernels.transpose(src.pointer, rows: rows, columns: columns, into: dst.mutablePointer)
            for r in 0..<rows {
                for c in 0..<columns { XCTAssertEqual(dst.scalars[c * rows + r], src.scalars[r * columns + c]) }
            }
        }
    }
}
