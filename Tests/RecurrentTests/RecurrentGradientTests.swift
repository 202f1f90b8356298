import Parity
import Recurrent
import SeqTensor
import XCTest

/// Finite-difference checks of backpropagation through time: whole sequences, several layers,
/// both directions, variable lengths and carried state.
final class RecurrentGradientTests: XCTestCase {
    func assertBPTT(
        _ kind: CellKind, layers: Int = 1, bidirectional: Bool = false, lengths: [Int]? = nil,
        carryState: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) {
        let T = 6, B = 3, I = 2, H = 5
        let random = RandomSource(seed: 11)
        let layer = RecurrentLayer(
            kind, inputSize: I, hiddenSize: H, numLayers: layers, bidirectional: bidirectional, random: random)
        layer.isTraining = false
        let x = Parameter(Tensor(uniform: [T, B, I], low: -1, high: 1, generator: &random.generator))
        let D = bidirectional ? 2 : 1
        let h0 = Parameter(Tensor(uniform: [layers * D, B, H], low: -0.5, high: 0.5, generator: &random.generator))
        let c0 = Parameter(Tensor(uniform: [layers * D, B, H], low: -0.5, high: 0.5, generator: &random.generator))
        var leaves: [Variable] = [x] + layer.parameters
        if carryState { leaves += kind == .lstm ? [h0, c0] : [h0] }
        let report = GradientCheck.check(leaves) {
            var state: RecurrentState? = nil
            if carryState { state = RecurrentState(h: h0, c: kind == .lstm ? c0 : nil) }
            // Two chunks with the state carried between them (not detached, so the gradient must
            // flow from the second chunk back into the first).
            let first = layer(x, state: state, lengths: lengths)
            let second = layer(x, state: first.state, lengths: lengths)
            var loss =
                GradientCheck.weightedSum(first.output, seed: 1) + GradientCheck.weightedSum(second.output, seed: 2)
                + GradientCheck.weightedSum(second.state.h, seed: 3)
            if let c = second.state.c { loss = loss + GradientCheck.weightedSum(c, seed: 4) }
            return loss
        }
        XCTAssertLessThan(
            report.worstError, 2e-2,
            "\(kind) leaf \(report.worstLeaf)[\(report.worstElement)]: analytic \(report.analytic), numeric "
                + "\(report.numeric)",
            file: file, line: line)
    }

    func testLSTM() { assertBPTT(.lstm, carryState: true) }
    func testGRU() { assertBPTT(.gru, carryState: true) }
    func testRNNTanh() { assertBPTT(.rnnTanh, carryState: true) }
    func testStackedBidirectional() {
        assertBPTT(.lstm, layers: 2, bidirectional: true)
        assertBPTT(.gru, layers: 2, bidirectional: true)
    }
    func testVariableLengths() {
        for kind in [CellKind.lstm, .gru, .rnnTanh] {
            assertBPTT(kind, bidirectional: true, lengths: [6, 2, 4], carryState: true)
        }
    }

    func testPaddedStepsKeepStateAndOutputZero() {
        let random = RandomSource(seed: 2)
        let layer = RecurrentLayer(.gru, inputSize: 2, hiddenSize: 3, bidirectional: true, random: random)
        let x = Variable(Tensor(uniform: [5, 2, 2], low: -1, high: 1, generator: &random.generator))
        let (out, state) = layer(x, state: nil, lengths: [5, 3])
        // Past its length, sequence 1's outputs are zero in both directions.
        for t in 3..<5 { XCTAssertEqual(out.value[t][1].scalars, Array(repeating: 0, count: 6)) }
        // Its forward final state equals what a 3-step run of it alone gives.
        let alone = layer(Variable(x.value.slice(0..<3)), state: nil)
        let hAlone = alone.state.h.value, hBatch = state.h.value
        // Row 1 of the forward direction, then of the reverse one.
        for k in 0..<3 {
            XCTAssertEqual(hBatch.pointer[0 * 6 + 3 + k], hAlone.pointer[0 * 6 + 3 + k], accuracy: 1e-6)
            XCTAssertEqual(hBatch.pointer[1 * 6 + 3 + k], hAlone.pointer[1 * 6 + 3 + k], accuracy: 1e-6)
        }
    }

    func testForgetGateBiasOption() {
        let layer = RecurrentLayer(.lstm, inputSize: 2, hiddenSize: 3, forgetGateBias: 1, random: RandomSource(seed: 1))
        let bih = layer.weights[0][0].biasIH!.value.scalars, bhh = layer.weights[0][0].biasHH!.value.scalars
        XCTAssertEqual(Array(bih[3..<6]), [1, 1, 1])
        XCTAssertEqual(Array(bhh[3..<6]), [0, 0, 0])
        XCTAssertEqual(layer.namedParameters.map(\.0), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
    }
}
