import Feedforward
import Parity
import SeqTensor
import XCTest

/// Finite-difference checks of the feedforward layers' backward passes.
final class LayerGradientTests: XCTestCase {
    func assertGradient(
        _ leaves: [Variable], file: StaticString = #filePath, line: UInt = #line, _ f: @escaping () -> Variable
    ) {
        let r = GradientCheck.check(leaves, f)
        XCTAssertLessThan(
            r.worstError, 1e-2, "leaf \(r.worstLeaf)[\(r.worstElement)]: analytic \(r.analytic), numeric \(r.numeric)",
            file: file, line: line)
    }

    func testConvolutions() {
        let random = RandomSource(seed: 4)
        let conv2 = Conv2D(
            inChannels: 2, outChannels: 3, kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2),
            random: random)
        let x2 = Parameter(Tensor(uniform: [2, 2, 5, 6], low: -1, high: 1, generator: &random.generator))
        assertGradient([x2] + conv2.parameters) { GradientCheck.weightedSum(conv2(x2)) }
        let conv1 = Conv1D(inChannels: 2, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, random: random)
        let x1 = Parameter(Tensor(uniform: [3, 2, 9], low: -1, high: 1, generator: &random.generator))
        assertGradient([x1] + conv1.parameters) { GradientCheck.weightedSum(conv1(x1)) }
    }

    /// Batch norm in both modes (in training the statistics depend on x, which the gradient must
    /// follow), layer norm, and global average pooling with and without lengths.
    func testNormalizationAndGlobalPooling() {
        var g = SeededGenerator(seed: 8)
        let x = Parameter(Tensor(uniform: [4, 3, 5], low: -2, high: 2, generator: &g))
        let norm = BatchNorm1d(numFeatures: 3)
        norm.weight!.value = Tensor(uniform: [3], low: 0.5, high: 1.5, generator: &g)
        norm.bias!.value = Tensor(uniform: [3], low: -1, high: 1, generator: &g)
        assertGradient([x] + norm.parameters) { GradientCheck.weightedSum(norm(x)) }
        norm.isTraining = false
        norm.runningVar.value = Tensor(uniform: [3], low: 0.5, high: 2, generator: &g)
        assertGradient([x] + norm.parameters) { GradientCheck.weightedSum(norm(x)) }
        let rows = Parameter(Tensor(uniform: [6, 3], low: -2, high: 2, generator: &g))
        norm.isTraining = true
        assertGradient([rows] + norm.parameters) { GradientCheck.weightedSum(norm(rows)) }

        let layer = LayerNorm(normalizedShape: 5)
        layer.weight!.value = Tensor(uniform: [5], low: 0.5, high: 1.5, generator: &g)
        assertGradient([x] + layer.parameters) { GradientCheck.weightedSum(layer(x)) }

        assertGradient([x]) { GradientCheck.weightedSum(globalAveragePool1d(x)) }
        assertGradient([x]) { GradientCheck.weightedSum(globalAveragePool1d(x, lengths: [5, 1, 3, 4])) }
    }

    /// Training mode updates the running statistics as PyTorch does (unbiased variance, momentum
    /// 0.1), and inference mode uses them.
    func testBatchNormRunningStatistics() {
        let norm = BatchNorm1d(numFeatures: 1)
        let x = Variable(Tensor([1, 2, 3, 6], shape: [4, 1]))
        _ = norm(x)
        XCTAssertEqual(norm.runningMean.value.scalars[0], 0.3, accuracy: 1e-6)  // 0.9 * 0 + 0.1 * 3
        XCTAssertEqual(norm.runningVar.value.scalars[0], 0.9 + 0.1 * 14 / 3, accuracy: 1e-6)  // var 14/3 unbiased
        norm.isTraining = false
        let y = norm(x).value.scalars
        let std = (norm.runningVar.value.scalars[0] + 1e-5).squareRoot()
        XCTAssertEqual(y[3], (6 - 0.3) / std, accuracy: 1e-5)
    }

    func testPoolingWithDistinctValues() {
        // Values 0.05 apart, shuffled: no two in a window are within the finite-difference step (0.01).
        var g = SeededGenerator(seed: 5)
        let order = g.permutation(2 * 3 * 5 * 7)
        let x = Parameter(Tensor(order.map { Float($0) * 0.05 }, shape: [2, 3, 5, 7]))
        assertGradient([x]) { GradientCheck.weightedSum(MaxPool2D(kernel: (2, 2))(x)) }
        let x1 = Parameter(Tensor(order.map { Float($0) * 0.05 }, shape: [6, 5, 7]))
        assertGradient([x1]) { GradientCheck.weightedSum(MaxPool1D(kernel: 3)(x1)) }
    }

    func testEmbeddingLinearAndDropout() {
        let random = RandomSource(seed: 6)
        let embedding = Embedding(count: 5, dimension: 3, random: random)
        assertGradient(embedding.parameters) {
            GradientCheck.weightedSum(embedding(indices: [1, 4, 1, 0, 4, 4], shape: [2, 3]))
        }
        let dense = Linear(inFeatures: 4, outFeatures: 3, random: random)
        let x = Parameter(Tensor(uniform: [2, 5, 4], low: -1, high: 1, generator: &random.generator))
        assertGradient([x] + dense.parameters) { GradientCheck.weightedSum(dense(x)) }
        // The same seed gives the same mask on every call, so dropout is a fixed linear map here.
        assertGradient([x]) { dropout(x, probability: 0.4, random: RandomSource(seed: 9)).sum() }
    }

    func testDropoutIsInvertedAndIdentityInInference() {
        let layer = Dropout(probability: 0.5, random: RandomSource(seed: 1))
        let x = Variable(Tensor(repeating: 1, shape: [10_000]))
        let y = layer(x).value.scalars
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(Double(y.reduce(0, +)) / 10_000, 1, accuracy: 0.05)
        layer.isTraining = false
        XCTAssertEqual(layer(x).value, x.value)
    }

    func testSummaryListsShapesAndParameterCounts() {
        let random = RandomSource(seed: 1)
        let net = Sequential([
            Conv2D(inChannels: 1, outChannels: 4, kernel: (3, 3), padding: (1, 1), random: random), Activation(.relu),
            MaxPool2D(kernel: (2, 2)), Flatten(), Linear(inFeatures: 64, outFeatures: 10, random: random),
        ])
        let summary = net.summary(inputShape: [1, 1, 8, 8])
        XCTAssertTrue(summary.contains("[1, 4, 8, 8]"), summary)
        XCTAssertTrue(summary.contains("[1, 64]"), summary)
        let total = 4 * 9 + 4 + 64 * 10 + 10
        XCTAssertTrue(summary.contains("Total params: \(total)"), summary)
        XCTAssertEqual(net.namedParameters.map(\.0), ["0.weight", "0.bias", "4.weight", "4.bias"])
    }
}
