import Classification
import Datasets
import Foundation
import SeqTensor
import Training
import XCTest

/// The classic demos, as tests: digits with a LeNet-style CNN, two circles with an MLP, and the
/// tutorial's MLP on the sine data set.
final class DemoTests: XCTestCase {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/digits.csv").path

    /// Trains `model` on `data` for `epochs` (Adam at `lr`, cosine-annealed unless `cosine` is
    /// false); returns the session.
    @discardableResult
    func train(
        _ model: Classifier, _ data: LabeledSeries, epochs: Int, lr: Float = 3e-3, batch: Int = 32, cosine: Bool = true
    ) throws -> TrainingSession {
        let task = ClassifierTask(model: model, training: data, validation: nil, batch: batch)
        let steps = epochs * task.stepsPerEpoch!
        var options = ClassifierTraining.defaultOptions(steps: steps, epochSteps: task.stepsPerEpoch!)
        options.schedule = LearningRateSchedule(
            base: lr, decay: cosine ? .cosine(totalSteps: steps, minimum: 0) : .constant)
        let session = TrainingSession(task: task, options: options)
        try session.run()
        return session
    }

    static let digitNames = (0..<10).map(String.init)

    func testLeNetOnDigitsReaches97Percent() throws {
        guard FileManager.default.fileExists(atPath: Self.digits) else {
            throw XCTSkip("\(Self.digits) not found: the digits demo needs ../shared/data/digits.csv")
        }
        let all = try LabeledRows(csv: Self.digits, labelColumn: .last)
        XCTAssertEqual(all.count, 1797)
        let (trainRows, testRows) = all.split(testFraction: 0.2, seed: 1)
        let model = Classifier(
            .cnn2d(height: 8, width: 8), channels: 1, length: 64, classNames: Self.digitNames,
            random: RandomSource(seed: 1))
        model.channelStd = [16]
        try train(model, LabeledSeries(rows: trainRows), epochs: 40)
        XCTAssertGreaterThanOrEqual(model.evaluate(on: LabeledSeries(rows: testRows)).accuracy, 0.97)
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
        let rows = LabeledSeries(rows: LabeledRows(features: Tensor(values, shape: [400, 2]), labels: labels))
        let model = Classifier(
            .mlp(hidden: [16, 16]), channels: 1, length: 2, classNames: ["0", "1"], random: RandomSource(seed: 3))
        try train(model, rows, epochs: 200, lr: 1e-2)
        XCTAssertEqual(model.evaluate(on: rows).accuracy, 1)
    }

    func testTutorialMLPTrainsOnTheSineDataSet() throws {
        // The tutorial's 1000-500-125-50-10 ReLU MLP, Adam 0.01, batch 64, on its 200 rows: it
        // must train (loss falls, training accuracy well above chance); the LSTM is the better model.
        var g = SeededGenerator(seed: 1)
        let rows = LabeledSeries(rows: SineDataset.tutorial(generator: &g))
        let model = Classifier(
            .mlp(hidden: [500, 125, 50]), channels: 1, length: 1000, classNames: Self.digitNames,
            random: RandomSource(seed: 1))
        let session = try train(model, rows, epochs: 60, lr: 0.01, batch: 64, cosine: false)
        let losses = session.curves.train.map(\.loss), perEpoch = 4
        let first = losses.prefix(perEpoch).reduce(0, +), last = losses.suffix(perEpoch).reduce(0, +)
        XCTAssertLessThan(last, first)
        XCTAssertGreaterThan(model.evaluate(on: rows).accuracy, 0.3)
    }
}
