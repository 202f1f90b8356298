import Parity
import XCTest

/// PyTorch parity of the core: activations, losses, optimizers and clipping.
final class ParityTests: XCTestCase {
    func testActivations() throws {
        XCTAssertEqual(
            try ParityRunner.problems(kinds: ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"]), [])
    }

    func testLosses() throws {
        XCTAssertEqual(try ParityRunner.problems(kinds: ["cross_entropy", "mse_loss", "bce_with_logits"]), [])
    }

    func testOptimizers() throws {
        XCTAssertEqual(try ParityRunner.problems(kinds: ["sgd", "adam", "adamw", "rmsprop", "adagrad"]), [])
    }

    func testGradientClipping() throws { XCTAssertEqual(try ParityRunner.problems(kinds: ["clip_grad_norm"]), []) }

    func testUnknownKindIsAFailureNotASkip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parity-unknown-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"kind": "transformer", "config": {}, "tensors": {}}"#.write(
            toFile: dir + "/transformer_1.json", atomically: true, encoding: .utf8)
        let results = try ParityRunner.run(directory: dir)
        XCTAssertEqual(results.count, 1)
        XCTAssertFalse(results[0].passed)
        XCTAssertTrue(results[0].failure?.contains("unknown kind") ?? false)
    }
}
