import Datasets
import Foundation
import LanguageModel
import SeqTensor
import TestSupport
import Training
import XCTest

/// Data-parallel training of the character model on ranks simulated by threads (`ThreadRanks`):
/// two ranks take the steps one process takes, and a checkpoint moves between rank counts. The
/// same under real MPI is `DataParallelTests` of the command (a build with the MPI trait).
final class DataParallelTrainingTests: XCTestCase {
    override func setUp() { BLASThreads.set(1) }

    /// A small LSTM model with dropout 0 (or the one saved at `resuming`, restored with its
    /// training state) and a session training it on `group`'s share of 4 streams.
    func session(_ group: any ProcessGroup, resuming: String? = nil) throws -> TrainingSession {
        let corpus = try CorpusReader.read(
            bytes: Array(SyntheticCorpus.generate(characters: 20_000).utf8), source: "synthetic")
        let (training, validation, _) = try StreamBatches.split(
            corpus.tokens, validationFraction: 0.1, validationLimit: 2000, batch: 4, steps: 8, source: "synthetic")
        let state = try resuming.map { path in
            TrainingCheckpoint(try SafeTensors.read(path: CharTrainer.statePath(forModel: path)), path: path)
        }
        let model =
            try resuming.map { try CharLanguageModel.load(path: $0).model }
            ?? CharLanguageModel(
                .init(cell: .lstm, vocabularySize: corpus.vocabulary.count, embedding: 8, hidden: 16, layers: 2),
                vocabulary: corpus.vocabulary, random: RandomSource(seed: 3))
        var options = CharTrainer.Options()
        (options.batch, options.steps) = (4, 8)
        let task = CharTrainer(
            model: model, options: options, training: training, validation: validation, group: group)
        let session = TrainingSession(task: task, options: CharTrainer.defaultOptions, group: group)
        session.checkpointPath = resuming
        if let state { try session.restore(from: state) }
        return session
    }

    /// The losses of `steps` steps and then the validation loss.
    func losses(_ session: TrainingSession, steps: Int) throws -> [Float] {
        try (0..<steps).map { _ in try session.trainStep() } + [(session.task as! CharTrainer).validationLoss()!]
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() {
            XCTAssertEqual(x, y, accuracy: 1e-5 * abs(x), "\(what) [\(i)]", file: file, line: line)
        }
    }

    func testTwoRanksTakeTheStepsOfOneProcess() throws {
        let one = try session(SingleProcess())
        let expected = try losses(one, steps: 6)
        let ranks = try ThreadRanks.run(ranks: 2) { group in
            let t = try self.session(group)
            XCTAssertEqual((t.task as! CharTrainer).batches.batch, 2)
            return (try self.losses(t, steps: 6), t.task.trainedModel.parameters.map(\.value.scalars))
        }
        for (rank, (losses, parameters)) in ranks.enumerated() {
            assertClose(expected, losses, "losses of rank \(rank)")
            // Every rank holds the same parameters, bit for bit, and those of one process up to rounding.
            XCTAssertEqual(parameters, ranks[0].1)
            for (p, q) in zip(one.task.trainedModel.parameters, parameters) {
                assertClose(p.value.scalars, q, "parameters")
            }
        }
    }

    func testACheckpointMovesBetweenRankCounts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dp-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        defer { try? FileManager.default.removeItem(atPath: CharTrainer.statePath(forModel: path)) }
        let expected = try losses(try session(SingleProcess()), steps: 8)

        // Two ranks, then one process.
        _ = try ThreadRanks.run(ranks: 2) { group in
            let t = try self.session(group)
            t.checkpointPath = path
            for _ in 0..<4 { try t.trainStep() }
            try t.checkpoint()
        }
        let resumed = try session(SingleProcess(), resuming: path)
        XCTAssertEqual(resumed.step, 4)
        XCTAssertEqual((resumed.task as! CharTrainer).carried?.h.value.shape, [2, 4, 16])
        assertClose(Array(expected[4...]), try losses(resumed, steps: 4), "one process after two ranks")

        // One process, then two ranks.
        let first = try session(SingleProcess())
        first.checkpointPath = path
        for _ in 0..<4 { try first.trainStep() }
        try first.checkpoint()
        let ranks = try ThreadRanks.run(ranks: 2) { group in
            try self.losses(try self.session(group, resuming: path), steps: 4)
        }
        for losses in ranks { assertClose(Array(expected[4...]), losses, "two ranks after one process") }
    }

    func testRanksWhoseParametersDifferStop() throws {
        let errors = try ThreadRanks.run(ranks: 2) { group -> String in
            let t = try self.session(group)
            if group.rank == 1 { t.task.trainedModel.parameters[0].value.mutablePointer[0] += 1e-3 }
            do {
                try t.trainStep()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        for e in errors { XCTAssertTrue(e.contains("parameters differ between the 2 ranks after step 0"), e) }
    }
}
