import Feedforward
import Foundation
import SeqTensor
import TestSupport
import Training
import XCTest

/// A least-squares task small enough to reason about: y = 3 x1 - 2 x2 + 1 + noise, batches of 8
/// drawn at random, a held-out set scored at every evaluation.
final class LineTask: TrainingTask {
    let model: Linear
    var generator: SeededGenerator
    let group: any ProcessGroup
    let heldOut: (x: Tensor, y: Tensor)
    /// What `evaluate` reports as the validation loss, overriding the real one when set.
    var scripted: [Double] = []
    var evaluations = 0

    init(seed: UInt64, group: any ProcessGroup = SingleProcess()) {
        model = Linear(inFeatures: 2, outFeatures: 1, random: RandomSource(seed: seed))
        generator = SeededGenerator(seed: seed &+ 100)
        self.group = group
        var g = SeededGenerator(seed: 7)
        heldOut = Self.sample(16, &g)
    }

    static func sample(_ n: Int, _ g: inout SeededGenerator) -> (x: Tensor, y: Tensor) {
        var x = [Float](), y = [Float]()
        for _ in 0..<n {
            let a = g.nextFloat(in: -1, 1), b = g.nextFloat(in: -1, 1)
            x += [a, b]
            y.append(3 * a - 2 * b + 1 + 0.01 * g.nextNormal())
        }
        return (Tensor(x, shape: [n, 2]), Tensor(y, shape: [n, 1]))
    }

    var trainedModel: any Module { model }
    var modelMetadata: [String: String] { ["format": "test.line"] }
    var stateFormat: String { "test.line-state" }
    var stepsPerEpoch: Int? { 4 }

    func batch(step: Int) throws -> TrainingBatch {
        // Every rank draws the whole batch (the same numbers) and trains on its rows of it.
        let (x, y) = Self.sample(8, &generator)
        let (rows, share) = group.share(of: 0..<8)
        guard !rows.isEmpty else { return TrainingBatch(loss: nil, share: 0, size: 8) }
        let loss = mseLoss(model(Variable(x.gathering(rows: rows))), Variable(y.gathering(rows: rows)))
        return TrainingBatch(loss: loss, share: share, size: 8)
    }

    func evaluate() -> [String: Double] {
        evaluations += 1
        if !scripted.isEmpty { return ["loss": scripted.removeFirst()] }
        let loss = model.inferenceMode { mseLoss(model(Variable(heldOut.x)), Variable(heldOut.y)).value.item }
        return ["loss": Double(loss)]
    }

    func saveState(into checkpoint: inout TrainingCheckpoint) {
        checkpoint.saveGenerators(generator, group: group)
    }

    func restoreState(from checkpoint: TrainingCheckpoint) throws {
        generator = try checkpoint.generator(for: group)
    }
}

final class TrainingSessionTests: XCTestCase {
    override func setUp() { BLASThreads.set(1) }

    func options(steps: Int) -> TrainingOptions {
        var options = TrainingOptions(
            schedule: LearningRateSchedule(base: 0.1, decay: .cosine(totalSteps: steps, minimum: 0)), clip: 5,
            steps: steps)
        options.evaluateEvery = 4
        return options
    }

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testRunsItsBudgetEvaluatingOnCadenceAndLearns() throws {
        let task = LineTask(seed: 1)
        let session = TrainingSession(task: task, options: options(steps: 120))
        var steps = 0, evaluations: [Int] = []
        session.onEvent = { event in
            switch event {
            case .step: steps += 1
            case .evaluation(let e): evaluations.append(e.step)
            default: break
            }
        }
        XCTAssertEqual(try session.run(), .budget)
        XCTAssertEqual(steps, 120)
        XCTAssertEqual(evaluations, Array(stride(from: 4, through: 120, by: 4)))
        XCTAssertEqual(session.curves.train.count, 120)
        XCTAssertEqual(session.curves.validation.count, 30)
        XCTAssertLessThan(session.curves.validation.last!.loss, 0.05)
        let w = task.model.weight.value.scalars
        XCTAssertEqual(w[0], 3, accuracy: 0.3)
        XCTAssertEqual(w[1], -2, accuracy: 0.3)
    }

    func testTheTrainingLossOfAnEvaluationIsTheMeanOfItsSteps() throws {
        let session = TrainingSession(task: LineTask(seed: 2), options: options(steps: 8))
        var evaluations: [Evaluation] = []
        session.onEvent = { if case .evaluation(let e) = $0 { evaluations.append(e) } }
        _ = try session.run()
        let losses = session.curves.train.map { Double($0.loss) }
        XCTAssertEqual(evaluations[0].scores["train_loss"]!, losses[0..<4].reduce(0, +) / 4, accuracy: 1e-6)
        XCTAssertEqual(evaluations[1].scores["train_loss"]!, losses[4..<8].reduce(0, +) / 4, accuracy: 1e-6)
    }

    func testSelectionKeepsTheBestWeightsAndPatienceStops() throws {
        let task = LineTask(seed: 3)
        // Validation losses: better, better, then worse three times: the second evaluation is best.
        task.scripted = [5, 4, 6, 7, 8, 9, 10]
        var options = options(steps: 400)
        options.selection = Selection(scores: [.validationLoss], patience: 3)
        let session = TrainingSession(task: task, options: options)
        var weightsAtSecond: [Float] = []
        session.onEvent = {
            if case .evaluation(let e) = $0, e.step == 8 { weightsAtSecond = task.model.weight.value.scalars }
        }
        XCTAssertEqual(try session.run(), .patience)
        XCTAssertEqual(session.step, 20, "stops after 3 evaluations without a better one")
        XCTAssertEqual(session.bestEvaluation?.step, 8)
        XCTAssertEqual(task.model.weight.value.scalars, weightsAtSecond, "the best evaluation's weights are kept")
    }

    func testSelectionComparesScoresInOrder() {
        let selection = Selection(scores: [.validationAccuracy, .validationLoss], patience: 0)
        XCTAssertTrue(selection.isBetter(["val_accuracy": 0.5, "val_loss": 1], than: nil))
        XCTAssertTrue(
            selection.isBetter(["val_accuracy": 0.6, "val_loss": 9], than: ["val_accuracy": 0.5, "val_loss": 1]))
        XCTAssertTrue(
            selection.isBetter(["val_accuracy": 0.5, "val_loss": 0.5], than: ["val_accuracy": 0.5, "val_loss": 1]))
        XCTAssertFalse(
            selection.isBetter(["val_accuracy": 0.5, "val_loss": 1], than: ["val_accuracy": 0.5, "val_loss": 1]))
        XCTAssertFalse(
            selection.isBetter(["val_accuracy": 0.4, "val_loss": 0], than: ["val_accuracy": 0.5, "val_loss": 1]))
        XCTAssertFalse(selection.isBetter(["val_loss": 0], than: ["val_accuracy": 0.5, "val_loss": 1]))
    }

    func testPlateauLowersTheLearningRateAfterItsPatience() throws {
        let task = LineTask(seed: 4)
        task.scripted = [1, 1, 1, 1, 1, 1, 1, 1]
        var options = options(steps: 32)
        options.schedule = LearningRateSchedule(base: 0.1)
        options.plateau = PlateauReduction(score: .validationLoss, factor: 0.5, patience: 2, minimum: 0.02)
        let session = TrainingSession(task: task, options: options)
        var rates: [Int: Float] = [:], lowered: [Int] = []
        session.onEvent = { event in
            switch event {
            case .step(let step, _, let rate, _): rates[step] = rate
            case .learningRateLowered(let step, _): lowered.append(step)
            default: break
            }
        }
        _ = try session.run()
        // Evaluations at steps 4, 8, ...: the first sets the best, then 3 without improvement lower it.
        XCTAssertEqual(lowered, [16, 28])
        XCTAssertEqual(rates[16]!, 0.1, accuracy: 1e-7)
        XCTAssertEqual(rates[17]!, 0.05, accuracy: 1e-7)
        XCTAssertEqual(rates[29]!, 0.025, accuracy: 1e-7)
    }

    func testACheckpointResumesToTheLossesOfAnUninterruptedRun() throws {
        let dir = try folder()
        var straightOptions = options(steps: 24)
        straightOptions.selection = Selection(scores: [.validationLoss], patience: 0)
        straightOptions.plateau = PlateauReduction(score: .trainLoss, factor: 0.5, patience: 1, minimum: 0)
        let straight = TrainingSession(task: LineTask(seed: 5), options: straightOptions)
        _ = try straight.run()

        let first = TrainingSession(task: LineTask(seed: 5), options: straightOptions)
        first.checkpointPath = dir + "/m.safetensors"
        var stopAt = 10
        first.interruptRequested = { first.step == stopAt }
        XCTAssertEqual(try first.run(), .interrupted)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.state.safetensors"))
        stopAt = -1

        let resumedTask = LineTask(seed: 99)
        let resumed = TrainingSession(task: resumedTask, options: straightOptions)
        let path = dir + "/m.state.safetensors"
        try resumed.restore(from: TrainingCheckpoint(SafeTensors.read(path: path), path: path))
        XCTAssertEqual(resumed.step, 10)
        _ = try resumed.run()
        XCTAssertEqual(resumed.curves.train.map(\.loss), straight.curves.train.map(\.loss))
        XCTAssertEqual(resumed.curves.validation.map(\.loss), straight.curves.validation.map(\.loss))
        XCTAssertEqual(
            resumedTask.model.weight.value.scalars, (straight.task.trainedModel as! Linear).weight.value.scalars)
    }

    func testRestoreRefusesAnotherOptimizerOrFormat() throws {
        let dir = try folder()
        let session = TrainingSession(task: LineTask(seed: 6), options: options(steps: 4))
        session.checkpointPath = dir + "/m.safetensors"
        _ = try session.run()
        try session.checkpoint()
        let path = dir + "/m.state.safetensors"
        let state = TrainingCheckpoint(try SafeTensors.read(path: path), path: path)
        var sgd = options(steps: 4)
        sgd.optimizer = .sgd
        XCTAssertThrowsError(try TrainingSession(task: LineTask(seed: 6), options: sgd).restore(from: state)) {
            XCTAssertTrue("\($0)".contains("optimizer adam"), "\($0)")
        }
        var other = state
        other.metadata["state_format"] = "something.else"
        XCTAssertThrowsError(
            try TrainingSession(task: LineTask(seed: 6), options: options(steps: 4)).restore(from: other))
        // A state whose task part does not fit leaves the session as it was: step, weights, curves.
        var broken = state
        broken.metadata["rng"] = nil
        broken.metadata["rng_ranks"] = nil
        let fresh = TrainingSession(task: LineTask(seed: 7), options: options(steps: 4))
        let weights = (fresh.task.trainedModel as! Linear).weight.value.scalars
        XCTAssertThrowsError(try fresh.restore(from: broken))
        XCTAssertEqual(fresh.step, 0)
        XCTAssertEqual((fresh.task.trainedModel as! Linear).weight.value.scalars, weights)
        XCTAssertTrue(fresh.curves.train.isEmpty)
    }

    func testDivergenceThrowsAndLeavesTheWeights() throws {
        var options = options(steps: 50)
        (options.optimizer, options.schedule, options.clip) = (.sgd, LearningRateSchedule(base: 1e30), 0)
        let task = LineTask(seed: 7)
        let session = TrainingSession(task: task, options: options)
        var before: [Float] = []
        session.onEvent = { if case .step = $0 { before = task.model.weight.value.scalars } }
        XCTAssertThrowsError(try session.run()) { error in
            guard let divergence = error as? DivergenceError else { return XCTFail("\(error)") }
            XCTAssertEqual(divergence.step, session.step + 1)
        }
        XCTAssertEqual(task.model.weight.value.scalars, before)
    }

    func testRanksTrainAsOneProcess() throws {
        let one = TrainingSession(task: LineTask(seed: 8), options: options(steps: 12))
        _ = try one.run()
        for ranks in [2, 3] {
            let curves = try ThreadRanks.run(ranks: ranks) { group in
                let session = TrainingSession(
                    task: LineTask(seed: 8, group: group), options: self.options(steps: 12), group: group)
                _ = try session.run()
                return session.curves.train.map(\.loss)
            }
            for curve in curves {
                for (a, b) in zip(curve, one.curves.train.map(\.loss)) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, b))
                }
            }
        }
    }
}
