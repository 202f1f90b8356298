import Parity
import Recurrent
import SeqTensor
import XCTest

/// Finite-difference checks of backpropagation through time for the cells with fused kernels: whole
/// sequences, several layers, both directions, variable lengths and carried state, through the
/// fused kernels and through the unrolled steps.
final class RecurrentGradientTests: XCTestCase {
    func assertBPTT(
        _ kind: CellKind, layers: Int = 1, bidirectional: Bool = false, lengths: [Int]? = nil,
        carryState: Bool = false, fused: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) {
        let report = bpttError(
            kind, layers: layers, bidirectional: bidirectional, lengths: lengths, carryState: carryState, fused: fused)
        assertGradientsMatch(report, "\(kind) fused \(fused)", file: file, line: line)
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

    /// The unrolled steps (the path of cells without fused kernels) on the built-in cells.
    func testUnrolledSteps() {
        assertBPTT(.lstm, layers: 2, bidirectional: true, carryState: true, fused: false)
        assertBPTT(.gru, bidirectional: true, lengths: [6, 2, 4], carryState: true, fused: false)
    }

    func testPaddedStepsKeepStateAndOutputZero() {
        for fused in [true, false] {
            let random = RandomSource(seed: 2)
            let layer = GRU(inputSize: 2, hiddenSize: 3, bidirectional: true, random: random)
            layer.usesFusedKernels = fused
            let x = Variable(Tensor(uniform: [5, 2, 2], low: -1, high: 1, generator: &random.generator))
            let (out, state) = layer(x, state: nil, lengths: [5, 3])
            // Past its length, sequence 1's outputs are zero in both directions.
            for t in 3..<5 { XCTAssertEqual(out.value[t][1].scalars, Array(repeating: 0, count: 6)) }
            // Its final state, in both directions, equals what a 3-step run of it alone gives.
            let alone = layer(Variable(x.value.slice(0..<3)), state: nil)
            for direction in 0..<2 {
                for k in 0..<3 {
                    XCTAssertEqual(state.h.value[direction, 1, k], alone.state.h.value[direction, 1, k], accuracy: 1e-6)
                }
            }
        }
    }

    func testForgetGateBiasOption() {
        let layer = LSTM(inputSize: 2, hiddenSize: 3, forgetGateBias: 1, random: RandomSource(seed: 1))
        let weights = layer.cells[0][0].weights
        XCTAssertEqual(Array(weights.biasIH!.value.scalars[3..<6]), [1, 1, 1])
        XCTAssertEqual(Array(weights.biasHH!.value.scalars[3..<6]), [0, 0, 0])
        XCTAssertEqual(layer.namedParameters.map(\.0), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
    }
}
