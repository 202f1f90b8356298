import Parity
import Recurrent
import SeqTensor
import XCTest

/// The GRU with the reset gate before the recurrent product (Keras's `reset_after=False`): its
/// numbers against the equations in float64 (parity fixtures), its BPTT against finite
/// differences, and its relation to PyTorch's GRU.
final class GRUResetBeforeTests: XCTestCase {
    func testParity() throws {
        XCTAssertEqual(CellKind(name: "gru-reset-before"), .gruResetBefore)
        XCTAssertEqual(try ParityRunner.problems(kinds: ["gru_reset_before", "gru_reset_before_cell"]), [])
    }

    func testGradientsThroughStackedBidirectionalLayersWithLengths() {
        assertGradientsMatch(bpttError(.gruResetBefore), "one layer")
        assertGradientsMatch(
            bpttError(.gruResetBefore, layers: 2, bidirectional: true, lengths: [6, 2, 4]),
            "stacked, bidirectional, lengths")
    }

    /// With the reset gate fully open (r = 1) both forms are the same function; otherwise they differ.
    func testEqualsPyTorchsGRUWhenTheResetGateIsOpen() {
        let before = CellKind.gruResetBefore.makeCell(inputSize: 3, hiddenSize: 4, random: RandomSource(seed: 1))
        let after = GRUCell(inputSize: 3, hiddenSize: 4, random: RandomSource(seed: 2))
        for ((name, p), (otherName, q)) in zip(before.namedParameters, after.namedParameters) {
            XCTAssertEqual(name, otherName)
            q.value = p.value
        }
        var generator = SeededGenerator(seed: 3)
        let x = Variable(Tensor(uniform: [5, 3], low: -1, high: 1, generator: &generator))
        let h = Variable(Tensor(uniform: [5, 4], low: -1, high: 1, generator: &generator))
        func differ() -> Float {
            let a = before.step(x, parts: [h])[0].value, b = after(x, state: HiddenState(h: h)).h.value
            return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!
        }
        XCTAssertGreaterThan(differ(), 1e-3)
        let openReset = after.weights.biasIH!.value.mutablePointer
        for j in 0..<4 { openReset[j] = 100 }  // r = sigmoid(~100) = 1
        before.namedParameters[2].1.value = after.weights.biasIH!.value
        XCTAssertLessThan(differ(), 1e-6)
    }
}
