import Parity
import SeqTensor
import XCTest

/// Finite-difference checks of every core operation's backward.
final class GradientTests: XCTestCase {
    var random = SeededGenerator(seed: 42)

    func leaf(_ shape: [Int], scale: Float = 1) -> Parameter {
        Parameter(Tensor(uniform: shape, low: -scale, high: scale, generator: &random))
    }

    /// Values kept away from 0 by more than the finite-difference step, for kinked functions.
    func leafAwayFromZero(_ shape: [Int]) -> Parameter {
        let p = leaf(shape)
        let v = p.value.mutablePointer
        for i in 0..<p.value.count { v[i] = (v[i] < 0 ? -0.1 : 0.1) + v[i] }
        return p
    }

    func assertGradient(
        _ leaves: [Variable], tolerance: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line,
        _ f: @escaping () -> Variable
    ) {
        let r = GradientCheck.check(leaves, f)
        XCTAssertLessThan(
            r.worstError, tolerance,
            "leaf \(r.worstLeaf)[\(r.worstElement)]: analytic \(r.analytic), numeric \(r.numeric)", file: file,
            line: line)
    }

    func testElementwiseArithmetic() {
        let a = leaf([3, 4]), b = leaf([3, 4]), bias = leaf([4])
        assertGradient([a, b]) { GradientCheck.weightedSum(a + b) }
        assertGradient([a, b]) { GradientCheck.weightedSum(a - b) }
        assertGradient([a, b]) { GradientCheck.weightedSum(a * b) }
        assertGradient([a]) { GradientCheck.weightedSum(2.5 * a) }
        assertGradient([a, bias]) { GradientCheck.weightedSum(a + bias) }
    }

    func testMatmulAndLinear() {
        let a = leaf([3, 5]), b = leaf([5, 2]), w = leaf([4, 5]), bias = leaf([4])
        assertGradient([a, b]) { GradientCheck.weightedSum(matmul(a, b)) }
        assertGradient([a, w, bias]) { GradientCheck.weightedSum(linear(a, weight: w, bias: bias)) }
        assertGradient([a, w]) { GradientCheck.weightedSum(linear(a, weight: w, bias: nil)) }
    }

    func testShapeOperations() {
        let a = leaf([4, 3, 2]), b = leaf([2, 3, 2]), c = leaf([4, 3, 5])
        assertGradient([a]) { GradientCheck.weightedSum(a.reshaped([6, 4])) }
        assertGradient([a]) { GradientCheck.weightedSum(a.slice(1..<3)) }
        assertGradient([a, b]) { GradientCheck.weightedSum(concatenate([a, b])) }
        assertGradient([a, c]) { GradientCheck.weightedSum(concatenateLastAxis([a, c])) }
        assertGradient([a]) { GradientCheck.weightedSum(a.swappingFirstAxes()) }
        assertGradient([a]) { a.sum() }
        assertGradient([a]) { a.mean() }
    }

    func testActivations() {
        let x = leaf([3, 7], scale: 3), kinked = leafAwayFromZero([3, 7])
        assertGradient([x]) { GradientCheck.weightedSum(x.sigmoid()) }
        assertGradient([x]) { GradientCheck.weightedSum(x.tanh()) }
        assertGradient([x]) { GradientCheck.weightedSum(x.softmax()) }
        assertGradient([x]) { GradientCheck.weightedSum(x.logSoftmax()) }
        assertGradient([kinked]) { GradientCheck.weightedSum(kinked.relu()) }
        assertGradient([kinked]) { GradientCheck.weightedSum(kinked.leakyRelu(negativeSlope: 0.2)) }
    }

    func testLosses() {
        let logits = leaf([5, 4], scale: 2), targets = [0, 3, 1, 1, 2]
        assertGradient([logits]) { crossEntropy(logits: logits, targets: targets) }
        assertGradient([logits]) { crossEntropy(logits: logits, targets: [0, -100, 1, -100, 2], ignoreIndex: -100) }
        assertGradient([logits]) { crossEntropy(logits: logits, targets: targets, mask: [1, 0, 1, 1, 0]) }
        assertGradient([logits]) { crossEntropy(logits: logits, targets: targets, reduction: .sum) }
        let x = leaf([3, 4], scale: 3), t = Parameter(Tensor(uniform: [3, 4], low: 0, high: 1, generator: &random))
        assertGradient([x, t]) { mseLoss(x, t) }
        assertGradient([x, t]) { binaryCrossEntropyWithLogits(x, t) }
    }

    /// The pinball loss, its gradient away from the kinks, and its value at the median: half the
    /// mean absolute error.
    func testQuantileLoss() {
        let x = leaf([4, 3], scale: 2), y = Tensor([0.05, -0.3, 1.2, 0.7], shape: [4])
        let w = Tensor([1, 0.5, 2, 0], shape: [4]), taus: [Float] = [0.1, 0.5, 0.9]
        let v = x.value.mutablePointer
        for n in 0..<4 { for q in 0..<3 where abs(v[n * 3 + q] - y.pointer[n]) < 0.05 { v[n * 3 + q] += 0.2 } }
        assertGradient([x]) { quantileLoss(x, target: y, quantiles: taus) }
        assertGradient([x]) { quantileLoss(x, target: y, quantiles: taus, weights: w) }
        let median = Parameter(Tensor([1, 2, 3], shape: [3, 1]))
        let loss = quantileLoss(median, target: Tensor([2, 2, 0], shape: [3]), quantiles: [0.5]).value.item
        XCTAssertEqual(loss, 0.5 * (1 + 0 + 3) / 3, accuracy: 1e-6)
        let low = quantileLoss(median, target: Tensor([2, 2, 0], shape: [3]), quantiles: [0.1]).value.item
        XCTAssertEqual(low, (0.1 * 1 + 0 + 0.9 * 3) / 3, accuracy: 1e-6)
    }

    func testCrossEntropyIsStableAtHugeLogits() {
        let logits = Parameter(Tensor([1e4, -1e4, 0, -1e4, 1e4, 3], shape: [2, 3]))
        let loss = crossEntropy(logits: logits, targets: [0, 2])
        // Row 0 is certain (loss 0); row 1 puts its mass on class 1, target 2 costs 1e4 - 3.
        XCTAssertEqual(loss.value.item, (0 + (1e4 - 3)) / 2, accuracy: 1e-3)
        loss.backward()
        let g = logits.grad!.scalars
        XCTAssertTrue(g.allSatisfy { $0.isFinite })
        XCTAssertEqual(g[4], 0.5, accuracy: 1e-6)
        XCTAssertEqual(g[5], -0.5, accuracy: 1e-6)
    }

    /// Logits enough to be shared over two threads (2048 x 40), every seventh row ignored: the
    /// loss and its gradient agree with a row-by-row reference in Double; no rows at all give 0.
    func testCrossEntropyOverThreadsAndWithoutRows() {
        let threadsBefore = BLASThreads.current
        defer { BLASThreads.set(threadsBefore) }
        BLASThreads.set(2)
        let rows = 2048, classes = 40
        let logits = leaf([rows, classes], scale: 4)
        let targets = (0..<rows).map { $0 % 7 == 0 ? -100 : $0 * 13 % classes }
        let loss = crossEntropy(logits: logits, targets: targets, ignoreIndex: -100)
        loss.backward()
        let x = logits.value.scalars, g = logits.grad!.scalars
        let counted = targets.filter { $0 >= 0 }.count
        var total = 0.0
        for r in 0..<rows {
            let row = x[(r * classes)..<((r + 1) * classes)].map(Double.init)
            let top = row.max()!, sum = row.map { exp($0 - top) }.reduce(0, +)
            for j in 0..<classes {
                let softmax = exp(row[j] - top) / sum, onehot: Double = j == targets[r] ? 1 : 0
                let expected = targets[r] < 0 ? 0 : (softmax - onehot) / Double(counted)
                XCTAssertEqual(Double(g[r * classes + j]), expected, accuracy: 1e-7, "row \(r), class \(j)")
            }
            if targets[r] >= 0 { total += top + log(sum) - row[targets[r]] }
        }
        XCTAssertEqual(Double(loss.value.item), total / Double(counted), accuracy: 1e-5)
        let none = crossEntropy(logits: Parameter(Tensor(zeros: [0, classes])), targets: [])
        XCTAssertEqual(none.value.item, 0)
    }

    func testGradientsAccumulateUntilZeroed() {
        let a = leaf([2, 2])
        (2 * a).sum().backward()
        (2 * a).sum().backward()
        XCTAssertEqual(a.grad!.scalars, [4, 4, 4, 4])
        a.zeroGrad()
        XCTAssertNil(a.grad)
    }

    func testDetachStopsGradients() {
        let a = leaf([2, 2])
        let b = (3 * a).detached()
        (a * b).sum().backward()
        // d/da of a * const(3a) is 3a, not 6a.
        for (g, v) in zip(a.grad!.scalars, a.value.scalars) { XCTAssertEqual(g, 3 * v, accuracy: 1e-6) }
    }

    func testNothingIsRecordedWithoutRecording() {
        let a = leaf([2, 2])
        let y = Graph.withoutRecording { (a * a).sum() }
        XCTAssertFalse(y.requiresGrad)
    }
}
