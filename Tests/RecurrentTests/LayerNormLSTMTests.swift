import Parity
import Recurrent
import SeqTensor
import XCTest

/// The layer-normalised LSTM (Ba et al. 2016): its numbers against the equations in float64
/// (parity fixtures), its BPTT against finite differences, its names, and the invariance that
/// layer normalisation gives it.
final class LayerNormLSTMTests: XCTestCase {
    func testParity() throws {
        XCTAssertEqual(CellKind(name: "layer_norm_lstm")?.stateNames, ["h", "c"])
        XCTAssertEqual(try ParityRunner.problems(kinds: ["layer_norm_lstm", "layer_norm_lstm_cell"]), [])
    }

    func testGradientsThroughStackedBidirectionalLayersWithLengths() {
        // Normalising divides by the spread of W h, which moves fast with the weights: a finer
        // difference step than the other cells' 1e-2.
        assertGradientsMatch(bpttError(.layerNormLSTM, step: 1.5e-3), "one layer")
        assertGradientsMatch(
            bpttError(.layerNormLSTM, layers: 2, bidirectional: true, lengths: [6, 2, 4], step: 1.5e-3),
            "stacked, bidirectional, lengths")
    }

    func testNamesAndForgetGateBias() {
        let layer = CellKind.layerNormLSTM.makeLayer(
            inputSize: 2, hiddenSize: 3, forgetGateBias: 1, random: RandomSource(seed: 1))
        XCTAssertEqual(
            layer.namedParameters.map(\.0),
            [
                "weight_ih_l0", "weight_hh_l0", "bias_l0", "norm_ih_l0.weight", "norm_ih_l0.bias", "norm_hh_l0.weight",
                "norm_hh_l0.bias", "norm_c_l0.weight", "norm_c_l0.bias",
            ])
        XCTAssertEqual(Array(layer.namedParameters[2].1.value.scalars[3..<6]), [1, 1, 1])
    }

    /// Layer normalisation makes the step blind to the scale of W_ih and of W_hh (up to eps, which
    /// weighs less against the larger spread).
    func testInvariantToTheScaleOfItsWeights() {
        let cell = LayerNormLSTMCell(inputSize: 3, hiddenSize: 4, random: RandomSource(seed: 2))
        var generator = SeededGenerator(seed: 3)
        let x = Variable(Tensor(uniform: [5, 3], low: -1, high: 1, generator: &generator))
        let state = LSTMState(
            h: Variable(Tensor(uniform: [5, 4], low: -1, high: 1, generator: &generator)),
            c: Variable(Tensor(uniform: [5, 4], low: -1, high: 1, generator: &generator)))
        let before = cell(x, state: state)
        for p in [cell.weightIH, cell.weightHH] {
            let v = p.value.mutablePointer
            for k in 0..<p.value.count { v[k] *= 3 }
        }
        let after = cell(x, state: state)
        for (a, b) in zip(before.parts, after.parts) {
            for (u, v) in zip(a.value.scalars, b.value.scalars) { XCTAssertEqual(u, v, accuracy: 1e-3) }
        }
    }
}
