import Classification
import Datasets
import SeqTensor
import TestSupport
import Training
import XCTest

/// The classifier trainer on ranks simulated by threads: uneven shares of a batch (and a rank
/// with none) train as one process does.
final class DataParallelClassifierTests: XCTestCase {
    override func setUp() { BLASThreads.set(1) }

    /// The second epoch's training loss and accuracy of a small GRU classifier.
    func epoch(batch: Int, group: any ProcessGroup) throws -> (loss: Float, accuracy: Double) {
        var g = SeededGenerator(seed: 5)
        let rows = LabeledSeries(rows: SineDataset.random(count: 4, points: 60, generator: &g))
        let model = Classifier(
            .recurrent(cell: .gru, hidden: 8, layers: 1), channels: 1, length: 60,
            classNames: LabeledSeries.classNames(rows.labels!), subsample: 3, random: RandomSource(seed: 2))
        let task = ClassifierTask(model: model, training: rows, validation: nil, batch: batch, group: group)
        let perEpoch = task.stepsPerEpoch!
        var options = ClassifierTraining.defaultOptions(steps: 2 * perEpoch, epochSteps: perEpoch)
        options.consistencyCheckEvery = 1
        let session = TrainingSession(task: task, options: options, group: group)
        try session.run()
        let scores = session.lastEvaluation!.scores
        return (Float(scores["train_loss"]!), scores["train_accuracy"]!)
    }

    func testUnevenSharesTrainAsOneProcess() throws {
        for (batch, ranks) in [(5, 2), (5, 3), (2, 3)] {
            let one = try epoch(batch: batch, group: SingleProcess())
            for result in try ThreadRanks.run(ranks: ranks, { try self.epoch(batch: batch, group: $0) }) {
                XCTAssertEqual(result.loss, one.loss, accuracy: 1e-5 * one.loss, "batch \(batch) on \(ranks) ranks")
                XCTAssertEqual(result.accuracy, one.accuracy, "batch \(batch) on \(ranks) ranks")
            }
        }
    }
}
