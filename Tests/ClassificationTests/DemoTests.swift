import Classification
import Datasets
import Foundation
import SeqTensor
import XCTest

/// The classic demos, as tests: digits with a LeNet-style CNN, two circles with an MLP, and the
/// tutorial's MLP on the sine data set.
final class DemoTests: XCTestCase {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/digits.csv").path

    func train(_ model: SequenceClassifier, _ rows: LabeledRows, epochs: Int, lr: Float = 3e-3, batch: Int = 32) throws
    {
        var options = ClassifierTrainer.Options()
        options.epochs = epochs
        options.learningRate = lr
        options.batch = batch
        let trainer = ClassifierTrainer(model: model, options: options, data: rows)
        while !trainer.shouldStop { _ = try trainer.trainEpoch() }
    }

    func testLeNetOnDigitsReaches97Percent() throws {
        guard FileManager.default.fileExists(atPath: Self.digits) else {
            throw XCTSkip("\(Self.digits) not found: the digits demo needs ../shared/data/digits.csv")
        }
        let all = try LabeledRows(csv: Self.digits, labelColumn: .last)
        XCTAssertEqual(all.count, 1797)
        let (trainRows, testRows) = all.split(testFraction: 0.2, seed: 1)
        let model = SequenceClassifier(
            .cnn2d(height: 8, width: 8), featureCount: 64, classCount: 10, random: RandomSource(seed: 1))
        model.inputStd = 16
        try train(model, trainRows, epochs: 40)
        let report = ClassificationReport(
            predictions: model.predict(testRows.features), labels: testRows.labels, classCount: 10)
        XCTAssertGreaterThanOrEqual(report.accuracy, 0.97)
    }

    func testMLPSeparatesTwoNoisyCircles() throws {
        var g = SeededGenerator(seed: 2)
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<400 {
            let label = i % 2, radius: Float = label == 0 ? 1 : 2.5
            let angle = g.nextFloat(in: 0, 2 * .pi)
            values += [radius * cos(angle) + 0.15 * g.nextNormal(), radius * sin(angle) + 0.15 * g.nextNormal()]
            labels.append(label)
        }
        let rows = LabeledRows(features: Tensor(values, shape: [400, 2]), labels: labels)
        let model = SequenceClassifier(
            .mlp(hidden: [16, 16]), featureCount: 2, classCount: 2, random: RandomSource(seed: 3))
        try train(model, rows, epochs: 200, lr: 1e-2)
        XCTAssertEqual(
            ClassificationReport(predictions: model.predict(rows.features), labels: labels, classCount: 2).accuracy, 1)
    }

    func testTutorialMLPTrainsOnTheSineDataSet() throws {
        // The tutorial's 1000-500-125-50-10 ReLU MLP, Adam 0.01, batch 64, on its 200 rows: it
        // must train (loss falls, training accuracy well above chance); the LSTM is the better model.
        var g = SeededGenerator(seed: 1)
        let rows = SineDataset.tutorial(generator: &g)
        let model = SequenceClassifier(
            .mlp(hidden: [500, 125, 50]), featureCount: 1000, classCount: 10, random: RandomSource(seed: 1))
        var options = ClassifierTrainer.Options()
        options.epochs = 60
        options.learningRate = 0.01
        options.batch = 64
        options.cosine = false
        let trainer = ClassifierTrainer(model: model, options: options, data: rows)
        let first = try trainer.trainEpoch().loss
        while !trainer.shouldStop { _ = try trainer.trainEpoch() }
        let accuracy = ClassificationReport(
            predictions: model.predict(rows.features), labels: rows.labels, classCount: 10
        ).accuracy
        XCTAssertLessThan(try trainer.trainEpoch().loss, first)
        XCTAssertGreaterThan(accuracy, 0.3)
    }
}
