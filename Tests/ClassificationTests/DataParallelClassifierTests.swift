import Classification
import Datasets
import Parity
import SeqTensor
import XCTest

/// The classifier trainer on ranks simulated by threads: uneven shares of a batch (and a rank
/// with none) train as one process does.
final class DataParallelClassifierTests: XCTestCase {
    override func setUp() { BLASThreads.set(1) }

    func epoch(batch: Int, group: any ProcessGroup) throws -> (loss: Float, accuracy: Double) {
        var g = SeededGenerator(seed: 5)
        let rows = SineDataset.random(count: 4, points: 60, generator: &g)
        let model = SequenceClassifier(
            .recurrent(cell: .gru, hidden: 8, layers: 1, subsample: 3), featureCount: 60, classCount: 10,
            random: RandomSource(seed: 2))
        var options = ClassifierTrainer.Options()
        (options.batch, options.epochs) = (batch, 2)
        let trainer = ClassifierTrainer(model: model, options: options, data: rows, group: group)
        _ = try trainer.trainEpoch()
        return try trainer.trainEpoch()
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
