import Classification
import Datasets
import Foundation
import SeqTensor
import Training
import XCTest

/// `classify`'s training regime in the library: who trains and who selects, the budget, the
/// plateau reduction and the selection on the training loss, the batches of an epoch, and the
/// k-fold choice of the epochs.
final class RegimeTests: XCTestCase {
    /// `count` one-channel series of `length` steps, classes "a" and "b" alternating.
    static func series(count: Int, length: Int) -> LabeledSeries {
        LabeledSeries(
            channels: 1, values: (0..<count).map { i in (0..<length).map { Float(($0 + i) % 7) } },
            labels: (0..<count).map { $0 % 2 == 0 ? "a" : "b" })
    }

    /// Every series trains below 1000; from 1000 a tenth is held out; an explicit split wins.
    func testValidationOnlyWhenAskedOrLarge() throws {
        let small = try ClassifierTraining.Plan(data: Self.series(count: 999, length: 3))
        XCTAssertNil(small.validation)
        XCTAssertEqual(small.training.count, 999)
        let large = try ClassifierTraining.Plan(data: Self.series(count: 1000, length: 3))
        XCTAssertEqual(large.validation?.count, 100)
        XCTAssertEqual(large.training.count, 900)
        let asked = try ClassifierTraining.Plan(data: Self.series(count: 30, length: 3), validationSplit: 0.2)
        XCTAssertEqual(asked.validation?.count, 6)
        let none = try ClassifierTraining.Plan(data: Self.series(count: 1000, length: 3), validationSplit: 0)
        XCTAssertNil(none.validation)
        XCTAssertEqual(small.batch, 16)
        // Errors name the data as the caller calls it (classify: the --train file).
        let unlabelled = LabeledSeries(channels: 1, values: [[1, 2], [3, 4]], labels: nil)
        XCTAssertThrowsError(try ClassifierTraining.Plan(data: unlabelled, source: "x_TRAIN.ts")) { error in
            XCTAssertEqual("\(error)", "x_TRAIN.ts: has no class labels")
        }
    }

    /// 1500 epochs where the compute budget pays for them, fewer where an epoch costs more, never
    /// fewer than 10; in steps of whole epochs.
    func testBudgetInEpochsCappedByCompute() throws {
        let cheap = try ClassifierTraining.Plan(data: Self.series(count: 40, length: 24))
        XCTAssertEqual(cheap.defaultEpochs(for: .fcn), 1500)
        XCTAssertEqual(cheap.defaultSteps(for: .fcn), 1500 * 3)
        let costly = try ClassifierTraining.Plan(data: Self.series(count: 100, length: 1460))
        let forward = try XCTUnwrap(Architecture.fcn.forwardMultiplyAdds(channels: 1, steps: 1460))
        XCTAssertEqual(
            costly.defaultEpochs(for: .fcn), Int(ClassifierTraining.Plan.computeBudget / (3 * forward * 100)))
        XCTAssertLessThan(costly.defaultEpochs(for: .resnet), costly.defaultEpochs(for: .fcn))
        let huge = try ClassifierTraining.Plan(data: Self.series(count: 5000, length: 2000))
        XCTAssertEqual(huge.defaultEpochs(for: .resnet), 10)
        // Many cheap series: at most 10,000 steps.
        let many = try ClassifierTraining.Plan(data: Self.series(count: 1600, length: 8))
        XCTAssertNotNil(many.validation)
        XCTAssertEqual(many.stepsPerEpoch, 90)
        XCTAssertEqual(many.defaultEpochs(for: .fcn), 111)
        let mlp = Architecture.mlp(hidden: [4])
        XCTAssertEqual(cheap.defaultEpochs(for: mlp), 1500)
        // A recurrent layer reading every 40th step costs a fortieth.
        let lstm = Architecture.recurrent(cell: .lstm, hidden: 8, layers: 1)
        XCTAssertEqual(
            lstm.forwardMultiplyAdds(channels: 1, steps: 400, subsample: 40),
            10 * Double(4 * 8 * 1 + 4 * 8 * 8))
    }

    /// Unequal lengths cost what their padded batches cost: the expected longest series of a
    /// random batch, checked against batches drawn at random (and exact for equal lengths and for
    /// one batch an epoch, whose longest is always the longest).
    func testBudgetCountsThePaddingOfUnequalLengths() throws {
        let lengths = (0..<50).map { 20 + ($0 * 37) % 300 }
        let data = LabeledSeries(
            channels: 1, values: lengths.map { [Float](repeating: 1, count: $0) },
            labels: (0..<50).map { $0 % 2 == 0 ? "a" : "b" })
        let plan = try ClassifierTraining.Plan(data: data)
        XCTAssertEqual(plan.stepsPerEpoch, 4)
        var g = SeededGenerator(seed: 3)
        var padded = 0.0
        let draws = 20_000
        for _ in 0..<draws {
            let order = g.permutation(50)
            for k in 0..<4 {
                let batch = order[(k * 50 / 4)..<((k + 1) * 50 / 4)]
                padded += Double(batch.count * batch.map { lengths[$0] }.max()!)
            }
        }
        let sampled = padded / Double(draws * 50)
        XCTAssertEqual(plan.paddedMeanLength, sampled, accuracy: sampled * 0.01)
        XCTAssertGreaterThan(plan.paddedMeanLength, 1.5 * Double(lengths.reduce(0, +)) / 50)
        let forward = try XCTUnwrap(Architecture.fcn.forwardMultiplyAdds(channels: 1, steps: plan.paddedMeanLength))
        XCTAssertEqual(
            plan.defaultEpochs(for: .fcn),
            min(1500, Int(ClassifierTraining.Plan.computeBudget / (3 * forward * 50))))
        XCTAssertEqual(
            try ClassifierTraining.Plan(data: Self.series(count: 30, length: 24)).paddedMeanLength, 24)
        let oneBatch = try ClassifierTraining.Plan(data: data.subset(Array(0..<10)))
        XCTAssertEqual(oneBatch.paddedMeanLength, Double(lengths[0..<10].max()!), accuracy: 1e-9)
    }

    /// Adam at 1e-3, no schedule, halving on plateaus of the training loss for a thirtieth of the
    /// run (5 to 50 epochs) down to 1e-4; the best training loss's weights kept.
    func testDefaultsFollowThePublishedRuns() {
        let options = ClassifierTraining.defaultOptions(steps: 900 * 4, epochSteps: 4)
        XCTAssertEqual(options.learningRate, 1e-3)
        XCTAssertEqual(options.schedule.rate(at: 3000), 1e-3)
        XCTAssertEqual(options.evaluateEvery, 4)
        XCTAssertEqual(options.plateau?.score, .trainLoss)
        XCTAssertEqual(options.plateau?.factor, 0.5)
        XCTAssertEqual(options.plateau?.patience, 30)
        XCTAssertEqual(options.plateau?.minimum, 1e-4)
        XCTAssertEqual(ClassifierTraining.plateauPatience(epochs: 20), 5)
        XCTAssertEqual(ClassifierTraining.plateauPatience(epochs: 5000), 50)
        let selection = ClassifierTraining.selection(validating: false, patience: ClassifierTraining.defaultPatience)
        XCTAssertEqual(selection.scores, [.trainLoss])
        XCTAssertTrue(selection.keepsBest)
        XCTAssertEqual(selection.patience, 0)
        XCTAssertEqual(ClassifierTraining.selection(validating: true, patience: 3).scores.first, .validationAccuracy)
    }

    /// An epoch deals its series into batches whose sizes differ by at most one, each series once.
    func testBatchesOfAnEpochAreEven() throws {
        let data = Self.series(count: 50, length: 5)
        let model = Classifier(.fcn, channels: 1, length: nil, classNames: ["a", "b"], random: RandomSource(seed: 1))
        let task = ClassifierTask(model: model, training: data, validation: nil, batch: 16)
        XCTAssertEqual(task.stepsPerEpoch, 4)
        let sizes = try (0..<8).map { try task.batch(step: $0).size }
        XCTAssertEqual(sizes, [12, 13, 12, 13, 12, 13, 12, 13])
        // With a count the batch divides, the batches are the batch size.
        let even = ClassifierTask(model: model, training: data.subset(Array(0..<48)), validation: nil, batch: 16)
        XCTAssertEqual(try (0..<3).map { try even.batch(step: $0).size }, [16, 16, 16])
    }

    /// Folds are disjoint, cover every series, and share each class out evenly; the selection
    /// scores every epoch of every fold and chooses one of them.
    func testFoldsAndTheirChoice() throws {
        let labels = (0..<23).map { $0 < 15 ? "a" : "b" }
        let folds = FoldSelection.folds(4, labels: labels, seed: 3)
        XCTAssertEqual(folds.flatMap { $0 }.sorted(), Array(0..<23))
        for fold in folds {
            let a = fold.filter { labels[$0] == "a" }.count
            XCTAssertTrue((3...4).contains(a), "\(fold)")
            XCTAssertTrue((1...3).contains(fold.count - a), "\(fold)")
        }
        XCTAssertEqual(FoldSelection.folds(4, labels: labels, seed: 3), folds)

        let data = ClassifierTests.task(count: 24, seed: 9)
        let plan = try ClassifierTraining.Plan(data: data, batch: 8, seed: 2)
        var trained: [Int] = []
        let threeEpochs = { (plan: ClassifierTraining.Plan) in
            ClassifierTraining.defaultOptions(steps: 3 * plan.stepsPerEpoch, epochSteps: plan.stepsPerEpoch)
        }
        let choice = try FoldSelection.select(folds: 3, plan: plan, architecture: .fcn, options: threeEpochs) {
            run, fold in
            XCTAssertEqual(run.plan.validation?.count, 8)
            XCTAssertEqual(run.plan.training.count, 16)
            try run.session.run()
            trained.append(fold)
        }
        XCTAssertEqual(trained, [0, 1, 2])
        XCTAssertEqual(choice.accuracy.count, 3)
        XCTAssertTrue((1...3).contains(choice.epochs))
        XCTAssertEqual(choice.chosenAccuracy, choice.accuracy.max())
        XCTAssertThrowsError(
            try FoldSelection.select(folds: 30, plan: plan, architecture: .fcn) { run, _ in try run.session.run() })
    }
}
