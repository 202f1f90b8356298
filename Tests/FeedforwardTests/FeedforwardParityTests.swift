import Parity
import XCTest

/// PyTorch parity of the feedforward layers.
final class FeedforwardParityTests: XCTestCase {
    func testLinearConvolutionPoolingEmbedding() throws {
        XCTAssertEqual(
            try ParityRunner.problems(kinds: ["linear", "conv1d", "conv2d", "maxpool1d", "maxpool2d", "embedding"]), [])
    }
}
