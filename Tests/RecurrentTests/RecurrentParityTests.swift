import Parity
import XCTest

/// PyTorch parity of the recurrent layers and cells (multi-layer, bidirectional, relu and tanh).
final class RecurrentParityTests: XCTestCase {
    func testSequenceLayers() throws { XCTAssertEqual(try ParityRunner.problems(kinds: ["rnn", "lstm", "gru"]), []) }

    func testCells() throws {
        XCTAssertEqual(try ParityRunner.problems(kinds: ["rnn_cell", "lstm_cell", "gru_cell"]), [])
    }
}
