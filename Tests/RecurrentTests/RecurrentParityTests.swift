import Parity
import XCTest

/// PyTorch parity of the recurrent layers and cells (multi-layer, bidirectional, relu and tanh,
/// lengths, batch-first), through the fused kernels and through the cells' unrolled steps.
final class RecurrentParityTests: XCTestCase {
    let layers: Set<String> = ["rnn", "lstm", "gru", "gru_reset_before", "layer_norm_lstm"]
    let cells: Set<String> = ["rnn_cell", "lstm_cell", "gru_cell", "gru_reset_before_cell", "layer_norm_lstm_cell"]

    func testSequenceLayers() throws { XCTAssertEqual(try ParityRunner.problems(kinds: layers), []) }

    func testCells() throws { XCTAssertEqual(try ParityRunner.problems(kinds: cells), []) }

    func testUnrolledStepsOfTheCellsWithFusedKernels() throws {
        XCTAssertEqual(try ParityRunner.problems(kinds: layers.union(cells), fusedKernels: false), [])
    }
}
