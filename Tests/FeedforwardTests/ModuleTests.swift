import Feedforward
import Foundation
import SeqTensor
import XCTest

/// What a composite model gets from `Module` by listing its children.
final class ModuleTests: XCTestCase {
    final class Block: Module {
        let net: Sequential
        let dropout: Dropout
        let scale = Parameter(Tensor([2]), name: "scale")
        init(random: RandomSource) {
            net = Sequential([Linear(inFeatures: 3, outFeatures: 4, random: random), Activation(.relu)])
            dropout = Dropout(probability: 0.5, random: random)
        }
        var directParameters: [(String, Parameter)] { [("scale", scale)] }
        var children: [(String, any Module)] { [("net", net), ("drop", dropout)] }
    }

    final class Model: Module {
        let encoder: Block, head: Linear
        init(random: RandomSource) {
            encoder = Block(random: random)
            head = Linear(inFeatures: 4, outFeatures: 2, random: random)
        }
        var children: [(String, any Module)] { [("encoder", encoder), ("head", head)] }
    }

    func testNamesArePrefixedDepthFirst() {
        let model = Model(random: RandomSource(seed: 1))
        XCTAssertEqual(
            model.namedParameters.map(\.0),
            ["encoder.scale", "encoder.net.0.weight", "encoder.net.0.bias", "head.weight", "head.bias"])
        XCTAssertEqual(model.parameterCount, 1 + 12 + 4 + 8 + 2)
        XCTAssertEqual(
            model.modules.map(\.0),
            [
                "", "encoder", "encoder.net", "encoder.net.0", "encoder.net.1",
                "encoder.drop", "head",
            ])
    }

    func testTrainingModeIsRecursiveAndInferenceModeRestoresEveryModule() {
        let model = Model(random: RandomSource(seed: 1))
        model.isTraining = false
        XCTAssertFalse(model.encoder.dropout.isTraining)
        model.isTraining = true
        model.head.isTraining = false  // a mixed state comes back as it was
        let inside = model.inferenceMode { (model.encoder.dropout.isTraining, Graph.isRecording) }
        XCTAssertFalse(inside.0)
        XCTAssertFalse(inside.1)
        XCTAssertTrue(model.encoder.dropout.isTraining)
        XCTAssertFalse(model.head.isTraining)
        XCTAssertTrue(Graph.isRecording)
    }

    func testSaveAndLoadRoundTripAndAFailedLoadChangesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("module-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = Model(random: RandomSource(seed: 1)), copy = Model(random: RandomSource(seed: 2))
        try model.save(to: dir + "/m.safetensors", metadata: ["format": "test"])
        XCTAssertEqual(try copy.load(from: dir + "/m.safetensors")["format"], "test")
        for ((_, a), (_, b)) in zip(model.namedParameters, copy.namedParameters) { XCTAssertEqual(a.value, b.value) }

        // A file that lacks the head: the load fails and leaves even the tensors it had alone.
        try model.encoder.save(to: dir + "/encoder.safetensors")
        let other = Model(random: RandomSource(seed: 3))
        let before = other.parameters.map(\.value)
        XCTAssertThrowsError(try other.load(from: dir + "/encoder.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("tensor encoder.scale is missing"), "\(error)")
        }
        XCTAssertEqual(other.parameters.map(\.value), before)
    }

    /// Batch norm's running statistics are buffers: saved and loaded under PyTorch's names, not
    /// parameters (an optimizer never sees them).
    func testBuffersAreSavedAndLoadedButNotTrained() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("buffers-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = Sequential([BatchNorm1d(numFeatures: 2), LayerNorm(normalizedShape: 2)])
        _ = model(Variable(Tensor([1, 5, 2, 7, 4, 1], shape: [3, 2])))
        XCTAssertEqual(model.namedParameters.map(\.0), ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(model.namedBuffers.map(\.0), ["0.running_mean", "0.running_var"])
        try model.save(to: dir + "/m.safetensors")
        let file = try SafeTensors.read(path: dir + "/m.safetensors")
        XCTAssertEqual(file.tensors["0.running_mean"]?.tensor, model.namedBuffers[0].1.value)
        let copy = Sequential([BatchNorm1d(numFeatures: 2), LayerNorm(normalizedShape: 2)])
        try copy.load(from: dir + "/m.safetensors")
        XCTAssertEqual(copy.namedBuffers[1].1.value, model.namedBuffers[1].1.value)
        XCTAssertNotEqual(copy.namedBuffers[1].1.value, Tensor(repeating: 1, shape: [2]))
    }
}
