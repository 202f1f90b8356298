import Classification
import Datasets
import Feedforward
import Foundation
import SeqTensor
import Training
import XCTest

/// The classifier on a task that needs both channels and every length: class "up" when channel 0
/// rises and channel 1 falls, "down" the other way round, series of 12 to 30 steps with noise.
/// Each architecture learns it; a saved model predicts the same probabilities.
final class ClassifierTests: XCTestCase {
    static func task(count: Int, seed: UInt64) -> LabeledSeries {
        var g = SeededGenerator(seed: seed)
        var values: [[Float]] = [], labels: [String] = []
        for _ in 0..<count {
            let up = g.next() % 2 == 0, length = 12 + Int(g.next() % 19)
            var series: [Float] = []
            for t in 0..<length {
                let ramp = Float(t) / Float(length) * (up ? 1 : -1)
                series += [ramp + 0.2 * g.nextNormal(), -ramp + 0.2 * g.nextNormal()]
            }
            values.append(series)
            labels.append(up ? "up" : "down")
        }
        return LabeledSeries(channels: 2, values: values, labels: labels)
    }

    func trained(_ architecture: Architecture, epochs: Int) throws -> Classifier {
        let data = Self.task(count: 48, seed: 1)
        let model = Classifier(
            architecture, channels: 2, length: nil, classNames: LabeledSeries.classNames(data.labels!),
            random: RandomSource(seed: 2))
        model.standardise(from: data)
        let task = ClassifierTask(
            model: model, training: data.subset(Array(0..<40)), validation: data.subset(Array(40..<48)), batch: 8)
        var options = ClassifierTraining.defaultOptions(steps: epochs * 5, epochSteps: 5)
        options.selection = ClassifierTraining.selection(validating: true, patience: 50)
        try TrainingSession(task: task, options: options).run()
        return model
    }

    func testRecurrentFCNResNetAndLSTMFCNLearnAVariableLengthTwoChannelTask() throws {
        let test = Self.task(count: 40, seed: 3)
        for (architecture, epochs) in [
            (Architecture.recurrent(cell: .gru, hidden: 16, layers: 1), 30), (.fcn, 6),
            (.lstmFCN(hidden: 8), 6), (.resnet, 6),
        ] {
            let model = try trained(architecture, epochs: epochs)
            XCTAssertEqual(model.classNames, ["down", "up"])
            XCTAssertGreaterThanOrEqual(model.evaluate(on: test).accuracy, 0.9, "\(architecture)")
        }
    }

    func testSavedModelGivesTheSameProbabilities() throws {
        let model = try trained(.lstmFCN(hidden: 8), epochs: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("series-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(to: dir + "/m.safetensors")
        let loaded = try Classifier.load(path: dir + "/m.safetensors")
        XCTAssertEqual(loaded.classNames, model.classNames)
        XCTAssertEqual(loaded.channelMean, model.channelMean)
        XCTAssertTrue(loaded.namedBuffers.contains { $0.0 == "norm.0.running_mean" })
        let test = Self.task(count: 10, seed: 4)
        XCTAssertEqual(loaded.probabilities(test), model.probabilities(test))
    }

    /// Padding does not change a series' prediction: alone or beside a longer one, the same logits.
    func testPaddingDoesNotLeakIntoPredictions() {
        let data = Self.task(count: 6, seed: 5)
        let shortest = data.lengths.enumerated().min { $0.element < $1.element }!.offset
        for architecture in [
            Architecture.recurrent(cell: .lstm, hidden: 8, layers: 2),
            .recurrent(cell: .gru, hidden: 8, layers: 2, bidirectional: true), .fcn, .lstmFCN(hidden: 4), .resnet,
        ] {
            let model = Classifier(
                architecture, channels: 2, length: nil, classNames: ["down", "up"], random: RandomSource(seed: 6))
            let alone = model.inferenceMode { model.logits(data, [shortest]).value.scalars }
            let together = model.inferenceMode { model.logits(data, Array(0..<6)).value.scalars }
            for j in 0..<2 { XCTAssertEqual(alone[j], together[shortest * 2 + j], accuracy: 1e-4, "\(architecture)") }
        }
    }

    /// ResNet's parameters and buffers are the ones its file check expects, with the shortcut's
    /// convolution only where a block changes the channels (three blocks from 1 channel, none
    /// in the first block from 64), and its cost counts every convolution weight once a step.
    func testResNetStateShapesAndCost() {
        for channels in [1, 64] {
            let model = Classifier(
                .resnet, channels: channels, length: nil, classNames: ["a", "b", "c"], random: RandomSource(seed: 7))
            let shapes = ResNetShapes.expected(channels: channels)
            XCTAssertEqual(model.stateDict.map(\.0), shapes.map(\.0))
            XCTAssertEqual(model.stateDict.map(\.1.shape), shapes.map(\.1))
            let shortcuts = model.stateDict.filter { $0.0.hasSuffix("shortcut_conv.weight") }.map(\.0)
            XCTAssertEqual(
                shortcuts,
                channels == 1
                    ? ["blocks.0.shortcut_conv.weight", "blocks.1.shortcut_conv.weight"]
                    : ["blocks.1.shortcut_conv.weight"])
            let weights = model.stateDict.filter { $0.1.shape.count == 3 }.reduce(0) { $0 + $1.1.value.count }
            XCTAssertEqual(Architecture.resnet.forwardMultiplyAdds(channels: channels, steps: 10), Double(10 * weights))
        }
    }
}

/// The names and shapes of a ResNet's state, spelt out as the PyTorch module of the same layers names them.
enum ResNetShapes {
    static func expected(channels: Int) -> [(String, [Int])] {
        var parameters: [(String, [Int])] = [], buffers: [(String, [Int])] = []
        var width = channels
        for (b, filters) in [64, 128, 128].enumerated() {
            var convolutions: [(String, [Int])] = [], norms: [(String, [Int])] = []
            var input = width
            for (k, kernel) in [8, 5, 3].enumerated() {
                convolutions += [
                    ("blocks.\(b).conv.\(k).weight", [filters, input, kernel]),
                    ("blocks.\(b).conv.\(k).bias", [filters]),
                ]
                norms += [("blocks.\(b).norm.\(k).weight", [filters]), ("blocks.\(b).norm.\(k).bias", [filters])]
                buffers += [
                    ("blocks.\(b).norm.\(k).running_mean", [filters]), ("blocks.\(b).norm.\(k).running_var", [filters]),
                ]
                input = filters
            }
            parameters += convolutions + norms
            if width != filters {
                parameters += [
                    ("blocks.\(b).shortcut_conv.weight", [filters, width, 1]),
                    ("blocks.\(b).shortcut_conv.bias", [filters]),
                ]
            }
            parameters += [
                ("blocks.\(b).shortcut_norm.weight", [filters]), ("blocks.\(b).shortcut_norm.bias", [filters]),
            ]
            buffers += [
                ("blocks.\(b).shortcut_norm.running_mean", [filters]),
                ("blocks.\(b).shortcut_norm.running_var", [filters]),
            ]
            width = filters
        }
        return parameters + [("head.weight", [3, 128]), ("head.bias", [3])] + buffers
    }
}
