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

    func testRecurrentFCNAndLSTMFCNLearnAVariableLengthTwoChannelTask() throws {
        let test = Self.task(count: 40, seed: 3)
        for (architecture, epochs) in [
            (Architecture.recurrent(cell: .gru, hidden: 16, layers: 1), 30), (.fcn, 6),
            (.lstmFCN(hidden: 8), 6),
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
            .recurrent(cell: .gru, hidden: 8, layers: 2, bidirectional: true), .fcn, .lstmFCN(hidden: 4),
        ] {
            let model = Classifier(
                architecture, channels: 2, length: nil, classNames: ["down", "up"], random: RandomSource(seed: 6))
            let alone = model.inferenceMode { model.logits(data, [shortest]).value.scalars }
            let together = model.inferenceMode { model.logits(data, Array(0..<6)).value.scalars }
            for j in 0..<2 { XCTAssertEqual(alone[j], together[shortest * 2 + j], accuracy: 1e-4, "\(architecture)") }
        }
    }
}
