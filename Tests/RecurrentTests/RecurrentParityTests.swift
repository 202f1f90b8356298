import Parity
import XCTest

/// PyTorch parity of the layers and cells with fused kernels (multi-layer, bidirectional, relu and
/// tanh, lengths, batch-first), through the kernels and through the cells' unrolled steps. (The
/// other cells' tests run their own fixtures.)
final class RecurrentParityTests: XCTestCase {
    let layers: Set<String> = ["rnn", "lstm", "gru"]
    let cells: Set<String> = ["rnn_cell", "lstm_cell", "gru_cell"]

    func testSequenceLayers() throws { XCTAssertEqual(try ParityRunner.problems(kinds: layers), []) }

    func testCells() throws { XCTAssertEqual(try ParityRunner.problems(kinds: cells), []) }

    func testUnrolledStepsOfTheCellsWithFusedKernels() throws {
        XCTAssertEqual(try ParityRunner.problems(kinds: layers.union(cells), fusedKernels: false), [])
    }
}
